//! The asynchronous invocation dispatcher.
//!
//! It owns running the events of the store's durable queue: claiming them (fairly across
//! functions, as the store's claim does, and never more than it can run at once), running
//! each through the invocation service's one entry point as a RequestResponse invocation
//! from [`stratus_invocation::InvocationSource::Async`] (so admission, environments and
//! logs are the synchronous path's), and deciding what follows an attempt with Lambda's
//! rules (`decide.rs`): function errors and timeouts are retried `MaximumRetryAttempts`
//! times (default 2) after about 1 and 2 minutes; throttles and platform failures go back
//! with exponential back-off (1 s doubling to 5 min) without using a retry; an event older
//! than `MaximumEventAgeInSeconds` (default 6 h), a function with reserved concurrency 0,
//! or a function or qualifier that is gone ends on the failure path.
//!
//! Every end goes through the [`Finish`] hook (destinations and dead-letter targets are
//! delivered by another crate; [`NoTargets`] is the default). The event leaves the queue
//! only after the hook returned: completed when the hook took it, moved to the store's
//! dead letters when it did not. A crash in between runs the event again (at least once).
//!
//! It must not deliver destinations itself, know HTTP, or reach into the engine: it sees
//! the world through [`Invoker`] (resolution and invocation), the store's queue traits, a
//! [`Clock`] and the [`Finish`] hook.

mod clock;
mod decide;
mod dispatcher;
mod finish;
mod handle;
mod invoker;
mod live;
mod settings;

pub use clock::{Clock, SystemClock};
pub use decide::{Condition, DEFAULT_MAX_EVENT_AGE, DEFAULT_MAX_RETRIES};
pub use dispatcher::{Dispatch, Running};
pub use finish::{EventEnd, Finish, InvocationSink, NoTargets};
pub use invoker::{Invoker, Target};
pub use live::LiveInvoker;
pub use settings::DispatchSettings;
