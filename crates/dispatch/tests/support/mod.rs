//! Fakes for the dispatcher tests: a clock the test moves, an invoker that answers from a
//! script and records every run, and an end hook that records every end.

#![allow(clippy::unwrap_used, dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use stratus_dispatch::{Clock, EventEnd, Finish, Invoker, Target};
use stratus_invocation::{FunctionError, SyncResult};
use stratus_model::{ErrorKind, LambdaError};
use stratus_store::queue::{NewEvent, QueuedEvent};
use stratus_store::{SqliteStore, Store};

pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn at(t: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(t)))
    }
    pub fn advance_ms(&self, ms: i64) {
        *self.0.lock().unwrap() += TimeDelta::milliseconds(ms);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// What a run answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Ok,
    FunctionError,
    Throttled,
    PlatformFailure,
}

#[derive(Default)]
pub struct FakeInvoker {
    pub targets: Mutex<HashMap<String, Result<Target, LambdaError>>>,
    /// Answers per function, in order; the last one repeats.
    pub script: Mutex<HashMap<String, VecDeque<Answer>>>,
    /// (request id, attempt, payload) of every run.
    pub runs: Mutex<Vec<(String, u32, Vec<u8>)>>,
}

impl FakeInvoker {
    pub fn with(function: &str, target: Target, answers: &[Answer]) -> Arc<Self> {
        let fake = Arc::new(Self::default());
        fake.set(function, target, answers);
        fake
    }
    pub fn set(&self, function: &str, target: Target, answers: &[Answer]) {
        self.targets
            .lock()
            .unwrap()
            .insert(function.into(), Ok(target));
        self.script
            .lock()
            .unwrap()
            .insert(function.into(), answers.iter().copied().collect());
    }
    pub fn runs(&self) -> Vec<(String, u32)> {
        self.runs
            .lock()
            .unwrap()
            .iter()
            .map(|(id, attempt, _)| (id.clone(), *attempt))
            .collect()
    }
}

#[async_trait]
impl Invoker for FakeInvoker {
    async fn target(&self, function: &str, qualifier: &str) -> Result<Target, LambdaError> {
        match self.targets.lock().unwrap().get(function) {
            Some(Ok(t)) => Ok(Target {
                function_arn: self.arn(function, qualifier),
                ..t.clone()
            }),
            Some(Err(e)) => Err(e.clone()),
            None => Err(LambdaError::not_found(format!(
                "Function not found: {}",
                self.arn(function, qualifier)
            ))),
        }
    }

    async fn run(
        &self,
        event: &QueuedEvent,
        payload: Bytes,
        attempt: u32,
    ) -> Result<SyncResult, LambdaError> {
        self.runs
            .lock()
            .unwrap()
            .push((event.id.clone(), attempt, payload.to_vec()));
        let answer = {
            let mut script = self.script.lock().unwrap();
            let queue = script.get_mut(&event.function).unwrap();
            if queue.len() > 1 {
                queue.pop_front().unwrap()
            } else {
                queue[0]
            }
        };
        let result = |error: bool, body: &'static [u8]| SyncResult {
            payload: Bytes::from_static(body),
            function_error: error.then_some(FunctionError::Unhandled),
            log_result: None,
            executed_version: "$LATEST".into(),
            request_id: event.id.clone(),
        };
        match answer {
            Answer::Ok => Ok(result(false, b"\"done\"")),
            Answer::FunctionError => Ok(result(
                true,
                br#"{"errorType":"RuntimeError","errorMessage":"boom"}"#,
            )),
            Answer::Throttled => Err(LambdaError::new(
                ErrorKind::TooManyRequests,
                "Rate Exceeded. Reason: ReservedFunctionConcurrentInvocationLimitExceeded",
            )),
            Answer::PlatformFailure => Err(LambdaError::internal()),
        }
    }

    fn arn(&self, function: &str, qualifier: &str) -> String {
        format!("arn:aws:lambda:us-east-1:123456789012:function:{function}:{qualifier}")
    }
}

/// One recorded end: (request id, condition, invoke count, error type).
pub type Ended = (String, String, u32, Option<String>);

/// Records ends; refuses them (no target took it) unless told to take them.
#[derive(Default)]
pub struct Recorder {
    pub ends: Mutex<Vec<Ended>>,
    pub take_failures: bool,
    pub refuse_successes: bool,
}

#[async_trait]
impl Finish for Recorder {
    async fn finish(&self, end: &EventEnd<'_>) -> Result<(), String> {
        self.ends.lock().unwrap().push((
            end.request_id.to_owned(),
            end.condition.as_str().to_owned(),
            end.approximate_invoke_count,
            end.error_type.map(str::to_owned),
        ));
        assert!(
            !end.request_payload.is_empty(),
            "the end hook sees the payload"
        );
        match (
            end.condition.is_success(),
            self.take_failures,
            self.refuse_successes,
        ) {
            (true, _, false) | (false, true, _) => Ok(()),
            (true, _, true) => Err("webhook answered 500".into()),
            (false, false, _) => Err("no destination configured".into()),
        }
    }
}

pub async fn store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(&dir.path().join("q.db")).await.unwrap())
}

pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

pub async fn enqueue(store: &Arc<dyn Store>, id: &str, function: &str, at: DateTime<Utc>) {
    store
        .enqueue(&NewEvent {
            id: id.into(),
            function: function.into(),
            qualifier: "$LATEST".into(),
            payload: format!("{{\"id\":\"{id}\"}}").into_bytes(),
            received_at: at,
        })
        .await
        .unwrap();
}
