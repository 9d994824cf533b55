//! Durable metadata persistence (SQLite in WAL mode) behind typed operations
