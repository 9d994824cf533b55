//! The Lambda Runtime API (2018-06-01) served by the host inside each environment's network
//! namespace.
//!
//! One [`RuntimeApi`] serves one execution environment: the sandbox crate binds the listener at
//! `127.0.0.1:9001` inside the environment, [`RuntimeApi::serve`] answers the runtime's HTTP
//! calls on it, and the engine drives the environment through [`RuntimeApi::ready`] and
//! [`RuntimeApi::invoke`].
//!
//! Layout: `handle.rs` (the engine's handle), `state.rs` (the per-environment state machine),
//! `server.rs` (accept loop, one hyper HTTP/1 connection per socket), `router.rs` (dispatch by
//! API version prefix), one directory per endpoint family (`runtime/`, later `extension/`,
//! `telemetry/`) with one file per endpoint, `body.rs` (capped body reading), `reply.rs`
//! (canned responses).
//!
//! This is the warm-invoke hot path: responses are single contiguous writes (`writev(false)`,
//! full `Bytes` bodies), every socket has `TCP_NODELAY`, the state lock is held for a few
//! pointer moves only, and an invocation's `/next` response is rendered before it is queued.

mod body;
mod error;
mod handle;
mod headers;
mod reply;
mod router;
mod runtime;
mod server;
mod state;
mod types;

pub use error::{InitFailure, InvokeError};
pub use handle::RuntimeApi;
pub use types::{EnvEvent, Invocation, Limits, Outcome, MAX_PAYLOAD};
