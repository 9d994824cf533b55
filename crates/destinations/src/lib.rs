//! Delivery of an asynchronous invocation's end: the destination record of an event that
//! succeeded or failed, and the dead-letter message of one that failed.
//!
//! The dispatcher calls [`Deliverer::finish`] once an event has reached its end (success,
//! retries exhausted, too old, or a function with reserved concurrency 0) with an
//! [`EventEnd`]. The rules:
//! - success: the destination record goes to `OnSuccess` if one is configured, else
//!   nothing is to be done;
//! - failure: the record goes to `OnFailure` if configured; if there is none, or it did not
//!   take the record, the raw event goes to the `DeadLetterConfig` target if configured;
//! - every target is tried once more after a short back-off when the first try failed
//!   (a transport error, a non-2xx webhook answer, a function that refused the event).
//!
//! `Ok` means a target took it; `Err` names each target tried and why it failed (or says
//! none is configured), and the dispatcher then keeps the event in the store's dead
//! letters: an event is never dropped here.
//!
//! Targets ([`stratus_model::destination::Target`], validated when the setting is written):
//! - a function of this server receives an asynchronous invocation through a
//!   [`FunctionSink`] (the wiring implements it over the invocation service's Event path):
//!   the destination record as its event, or for a dead letter the raw event;
//! - a webhook receives a POST: the destination record as JSON, or for a dead letter the
//!   raw event with the headers `X-Amz-Lambda-RequestId`, `X-Amz-Lambda-ErrorCode` (the
//!   three-digit status code, as in AWS's dead-letter message), `X-Amz-Lambda-ErrorType`
//!   and `X-Amz-Lambda-ErrorMessage` (at most 1 KB) and `X-Amz-Lambda-Condition`.
//!
//! This crate does network I/O (webhooks) and emits the `metrics` counters
//! `stratus_destination_delivery_failures_total{function}` and
//! `stratus_dead_letter_errors_total{function}`. It must not know the queue, the store or
//! the engine: what it needs from the rest of the server is the [`FunctionSink`].

mod deliver;
mod end;
mod record;
mod webhook;

pub use deliver::{Deliverer, DeliveryConfig, FunctionSink};
pub use end::{Condition, EventEnd};
pub use record::destination_record;
pub use stratus_model::destination::{Target, TargetUse};
pub use webhook::{BuildError, USER_AGENT};
