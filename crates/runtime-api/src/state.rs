//! The per-environment state machine shared by the engine's handle and the HTTP handlers.
//!
//! ```text
//!   Idle --invoke()--> Queued --GET /next--> InFlight --POST /response|/error--> Idle
//!     ^                  |                      |
//!     +-- future dropped / init error / shutdown +
//! ```
//! The lock guards a few pointer moves; nothing awaits or allocates while holding it.

use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Response};
use http_body_util::Full;
use tokio::sync::{oneshot, watch, Notify};

use crate::error::{InitFailure, InvokeError};
use crate::types::{EnvEvent, Limits, Outcome};

/// Where the runtime's answer to one invocation goes.
pub(crate) type Reply = oneshot::Sender<Result<Outcome, InvokeError>>;

/// State shared by the engine's handle, the accept loop and every connection.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes a `/next` waiter when an invocation is queued.
    queued: Notify,
    /// `None` until the first `/next` or `/init/error`.
    events: watch::Sender<Option<EnvEvent>>,
    first_next: OnceLock<Instant>,
    stop: watch::Sender<bool>,
    /// Limits applied to bodies the runtime sends.
    pub(crate) limits: Limits,
}

struct State {
    slot: Slot,
    generation: u64,
    init_failure: Option<InitFailure>,
    closed: bool,
}

enum Slot {
    Idle,
    /// Waiting for the runtime's `/next`; `response` is that `/next` response, pre-rendered.
    Queued {
        generation: u64,
        request_id: HeaderValue,
        response: Response<Full<Bytes>>,
        reply: Reply,
    },
    /// Delivered; waiting for `/response` or `/error`.
    InFlight {
        generation: u64,
        request_id: HeaderValue,
        reply: Reply,
    },
}

impl Slot {
    fn generation(&self) -> Option<u64> {
        match self {
            Slot::Idle => None,
            Slot::Queued { generation, .. } | Slot::InFlight { generation, .. } => {
                Some(*generation)
            }
        }
    }

    /// Empties the slot, returning the reply sender of whatever was in it.
    fn take_reply(&mut self) -> Option<Reply> {
        match std::mem::replace(self, Slot::Idle) {
            Slot::Idle => None,
            Slot::Queued { reply, .. } | Slot::InFlight { reply, .. } => Some(reply),
        }
    }
}

impl Shared {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            state: Mutex::new(State {
                slot: Slot::Idle,
                generation: 0,
                init_failure: None,
                closed: false,
            }),
            queued: Notify::new(),
            events: watch::Sender::new(None),
            first_next: OnceLock::new(),
            stop: watch::Sender::new(false),
            limits,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written (every critical
        // section is a single move), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an invocation whose `/next` response is already rendered. Returns its generation
    /// (for [`Shared::cancel`]) and where its outcome will arrive.
    pub(crate) fn enqueue(
        &self,
        request_id: HeaderValue,
        response: Response<Full<Bytes>>,
    ) -> Result<(u64, oneshot::Receiver<Result<Outcome, InvokeError>>), InvokeError> {
        let (reply, rx) = oneshot::channel();
        let generation = {
            let mut st = self.lock();
            if st.closed {
                return Err(InvokeError::Shutdown);
            }
            if let Some(failure) = &st.init_failure {
                return Err(InvokeError::Init(failure.clone()));
            }
            if !matches!(st.slot, Slot::Idle) {
                return Err(InvokeError::Busy);
            }
            st.generation += 1;
            let generation = st.generation;
            st.slot = Slot::Queued {
                generation,
                request_id,
                response,
                reply,
            };
            generation
        };
        self.queued.notify_one();
        Ok((generation, rx))
    }

    /// Forgets invocation `generation` if it is still queued or in flight (its future was
    /// dropped); a later `/response` for it gets 400.
    pub(crate) fn cancel(&self, generation: u64) {
        let mut st = self.lock();
        if st.slot.generation() == Some(generation) {
            st.slot = Slot::Idle;
        }
    }

    /// Takes the queued invocation's `/next` response, marking it in flight.
    fn take_queued(&self) -> Option<Response<Full<Bytes>>> {
        let mut st = self.lock();
        if !matches!(st.slot, Slot::Queued { .. }) {
            return None;
        }
        match std::mem::replace(&mut st.slot, Slot::Idle) {
            Slot::Queued {
                generation,
                request_id,
                response,
                reply,
            } => {
                st.slot = Slot::InFlight {
                    generation,
                    request_id,
                    reply,
                };
                Some(response)
            }
            other => {
                st.slot = other;
                None
            }
        }
    }

    /// Serves `GET /next`: records readiness, then waits (without limit) for an invocation.
    pub(crate) async fn next(&self) -> Response<Full<Bytes>> {
        if self.first_next.get().is_none() && self.first_next.set(Instant::now()).is_ok() {
            self.events.send_if_modified(|e| {
                let first = e.is_none();
                if first {
                    *e = Some(EnvEvent::Ready);
                }
                first
            });
        }
        loop {
            let notified = self.queued.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(response) = self.take_queued() {
                return response;
            }
            notified.await;
        }
    }

    /// Whether `request_id` is the invocation in flight.
    pub(crate) fn is_in_flight(&self, request_id: &str) -> bool {
        matches!(&self.lock().slot, Slot::InFlight { request_id: id, .. } if id.as_bytes() == request_id.as_bytes())
    }

    /// Finishes the in-flight invocation `request_id` with `result`. False when no such
    /// invocation is in flight (unknown or already answered).
    pub(crate) fn complete(&self, request_id: &str, result: Result<Outcome, InvokeError>) -> bool {
        let reply = {
            let mut st = self.lock();
            match &st.slot {
                Slot::InFlight { request_id: id, .. } if id.as_bytes() == request_id.as_bytes() => {
                    st.slot.take_reply()
                }
                _ => None,
            }
        };
        match reply {
            // The engine may have stopped waiting; the answer is then simply dropped.
            Some(reply) => {
                let _ = reply.send(result);
                true
            }
            None => false,
        }
    }

    /// Records `POST /init/error`; a queued or in-flight invocation fails with it.
    pub(crate) fn init_failed(&self, failure: InitFailure) {
        let reply = {
            let mut st = self.lock();
            st.init_failure = Some(failure.clone());
            st.slot.take_reply()
        };
        if let Some(reply) = reply {
            let _ = reply.send(Err(InvokeError::Init(failure.clone())));
        }
        self.events.send_replace(Some(EnvEvent::InitError {
            error_type: failure.error_type,
            body: failure.body,
        }));
    }

    /// Waits for the first `/next` or an `/init/error`.
    pub(crate) async fn ready(&self) -> Result<(), InitFailure> {
        let mut rx = self.events.subscribe();
        // Clone out of the watch guard before any other await: the guard is not Send.
        let seen = rx
            .wait_for(Option::is_some)
            .await
            .map(|event| event.clone());
        let event = match seen {
            Ok(event) => event,
            // The sender lives in `self`, so this cannot happen; wait forever like a silent runtime.
            Err(_) => std::future::pending().await,
        };
        match event {
            Some(EnvEvent::InitError { error_type, body }) => Err(InitFailure { error_type, body }),
            Some(EnvEvent::Ready) | None => Ok(()),
        }
    }

    /// When the runtime first called `/next`.
    pub(crate) fn first_next_at(&self) -> Option<Instant> {
        self.first_next.get().copied()
    }

    /// Stops serving: fails any pending invocation and tells the accept loop and every
    /// connection to close.
    pub(crate) fn close(&self) {
        let reply = {
            let mut st = self.lock();
            st.closed = true;
            st.slot.take_reply()
        };
        if let Some(reply) = reply {
            let _ = reply.send(Err(InvokeError::Shutdown));
        }
        self.stop.send_replace(true);
    }

    /// Resolves once [`Shared::close`] has been called.
    pub(crate) fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.stop.subscribe();
        async move {
            // An error means the sender is gone, which also means stop.
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }
}
