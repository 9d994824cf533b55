//! Function logs: what an environment prints, plus Lambda's platform lines, kept in log
//! groups and streams the way CloudWatch Logs presents them.
//!
//! [`capture`] drains an environment's stdout and stderr continuously into lines and on
//! into its stream through a [`LogSink`], holding little in memory and keeping at most a
//! set number of bytes per invocation; [`platform`] formats INIT_START, START, END, REPORT
//! and the truncation line; [`store::LogStore`] keeps events per group and stream, on disk
//! as JSON lines written by a persister thread (`persist.rs`, its queue bounded in bytes)
//! and in memory within a byte cap, and answers the queries of the CloudWatch Logs subset
//! (`query.rs`); [`api`] is that subset as a typed service (requests, responses, errors
//! with their wire names). Retention is enforced on append and on query. This crate knows
//! nothing of sandboxes or HTTP.

pub mod api;
pub mod capture;
mod persist;
pub mod platform;
mod query;
pub mod sink;
pub mod store;

pub use api::{LogsError, Request, Response};
pub use sink::LogSink;
pub use store::{Event, LogSettings, LogStore};
