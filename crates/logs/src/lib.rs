//! Function logs: what an environment prints, plus Lambda's platform lines, kept in log
//! groups and streams the way CloudWatch Logs presents them.
//!
//! [`capture`] drains an environment's stdout and stderr continuously (a function never
//! blocks on a full pipe) into lines; [`platform`] formats INIT_START, START, END and REPORT;
//! [`store::LogStore`] keeps events per group and stream, on disk as JSON lines written by a
//! persister thread (`persist.rs`), and answers
//! the queries of the CloudWatch Logs subset (`query.rs`). Retention is enforced on append
//! and at start. This crate knows nothing of sandboxes or HTTP.

pub mod capture;
mod persist;
pub mod platform;
mod query;
pub mod store;

pub use query::{FilterRequest, NotFound, Page, StreamOrder};
pub use store::{Event, LogStore};
