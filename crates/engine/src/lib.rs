//! The invoke path: placement, warm pool, concurrency, timeouts, environment lifecycle
