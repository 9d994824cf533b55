//! A backend without processes, for the engine's unit tests: environments whose sandbox
//! and runtime follow a script, with real output capture over pipes, and a log sink that
//! records what the engine wrote.

#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::future::Future;
use std::io::{PipeWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use stratus_logs::capture::{Capture, Target};
use stratus_model::function::CodeRef;
use stratus_model::{FunctionVersion, Version};
use stratus_runtime_api::{Invocation, InvokeError, Outcome};
use stratus_sandbox::{ExitStatus, HostConfig, SandboxError};

use crate::environment::{Created, Environment, InitType};
use crate::error::EngineError;
use crate::seams::{Backend, Jail, LogSink, Runtime};
use crate::{Engine, EngineConfig, InvokeRequest, Lifetime};

/// What the runtime does with one invocation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Act {
    /// Answers with the event.
    Echo,
    /// Never answers.
    Hang,
    /// Exits with status 3 without answering.
    Exit,
    /// Prints this many bytes (lines of 1 KiB, from a thread of its own, as a process
    /// would) and answers once they are all written.
    Flood(usize),
}

/// The script every fake environment follows, and what the tests observe.
#[derive(Default)]
pub(crate) struct Script {
    /// One act per invocation, in order; `Echo` once empty.
    acts: Mutex<VecDeque<Act>>,
    /// Environments created.
    pub(crate) cold_starts: AtomicUsize,
    /// Invocations that reached a runtime.
    pub(crate) entered: AtomicUsize,
    /// The thread each environment was killed on (by `kill` or by being dropped).
    pub(crate) kills: Mutex<Vec<ThreadId>>,
    /// Why each environment was created, in order.
    pub(crate) inits: Mutex<Vec<InitType>>,
    /// The uid each environment was given, in order.
    pub(crate) uids: Mutex<Vec<u32>>,
    /// Runtimes fail to initialise while set.
    pub(crate) init_fails: std::sync::atomic::AtomicBool,
}

impl Script {
    pub(crate) fn then(&self, act: Act) {
        self.acts.lock().unwrap().push_back(act);
    }

    pub(crate) fn kills(&self) -> usize {
        self.kills.lock().unwrap().len()
    }

    /// Environments created for `init`.
    pub(crate) fn inits(&self, init: InitType) -> usize {
        self.inits
            .lock()
            .unwrap()
            .iter()
            .filter(|i| **i == init)
            .count()
    }
}

/// The fake backend.
pub(crate) struct Fake(pub(crate) Arc<Script>);

/// One environment's processes: the write ends of its output and how it ended.
struct Proc {
    writers: Mutex<Option<(PipeWriter, PipeWriter)>>,
    exit: Mutex<Option<ExitStatus>>,
}

impl Proc {
    fn print(&self, text: &str) {
        if let Some((out, _)) = self.writers.lock().unwrap().as_mut() {
            out.write_all(text.as_bytes()).unwrap();
        }
    }

    /// Every process is gone: the output closes.
    fn end(&self, status: ExitStatus) {
        self.exit.lock().unwrap().get_or_insert(status);
        self.writers.lock().unwrap().take();
    }
}

pub(crate) struct FakeJail {
    script: Arc<Script>,
    proc: Arc<Proc>,
    killed: bool,
}

impl FakeJail {
    fn record_kill(&mut self) {
        if !self.killed {
            self.killed = true;
            self.proc.end(ExitStatus::Signaled(9));
            self.script
                .kills
                .lock()
                .unwrap()
                .push(std::thread::current().id());
        }
    }
}

impl Jail for FakeJail {
    fn freeze(&self) -> Result<(), SandboxError> {
        Ok(())
    }
    fn thaw(&self) -> Result<(), SandboxError> {
        Ok(())
    }
    fn set_cpu_millis(&self, _cpu_millis: u32) -> Result<(), SandboxError> {
        Ok(())
    }
    fn memory_peak_bytes(&self) -> Result<u64, SandboxError> {
        Ok(20 << 20)
    }
    fn oom_killed(&self) -> bool {
        false
    }
    fn try_wait(&mut self) -> Result<Option<ExitStatus>, SandboxError> {
        Ok(*self.proc.exit.lock().unwrap())
    }
    fn kill(&mut self) -> Result<(), SandboxError> {
        self.record_kill();
        Ok(())
    }
}

/// Like a real sandbox, a fake one dropped without a kill is killed where it is dropped.
impl Drop for FakeJail {
    fn drop(&mut self) {
        self.record_kill();
    }
}

pub(crate) struct FakeRuntime {
    script: Arc<Script>,
    proc: Arc<Proc>,
}

impl Runtime for FakeRuntime {
    fn invoke(&self, inv: Invocation) -> impl Future<Output = Result<Outcome, InvokeError>> + Send {
        let act = self
            .script
            .acts
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Act::Echo);
        let (script, proc) = (Arc::clone(&self.script), Arc::clone(&self.proc));
        async move {
            proc.print(&format!("handling {}\n", inv.request_id));
            script.entered.fetch_add(1, Ordering::SeqCst);
            match act {
                Act::Echo => Ok(Outcome::Response(inv.payload)),
                Act::Flood(bytes) => {
                    let line = format!("{}\n", "f".repeat(1023));
                    let printer = Arc::clone(&proc);
                    tokio::task::spawn_blocking(move || {
                        for _ in 0..bytes / line.len() {
                            printer.print(&line);
                        }
                    })
                    .await
                    .unwrap();
                    Ok(Outcome::Response(inv.payload))
                }
                Act::Hang => std::future::pending().await,
                Act::Exit => {
                    proc.end(ExitStatus::Exited(3));
                    std::future::pending().await
                }
            }
        }
    }

    fn shutdown(&self) {}
}

impl Backend for Fake {
    type Jail = FakeJail;
    type Runtime = FakeRuntime;

    async fn create(
        &self,
        _f: &FunctionVersion,
        _request_id: &str,
        id: String,
        log: Target,
        init: InitType,
        uid: crate::uids::UidLease,
    ) -> Result<Created<Self>, EngineError> {
        self.0.cold_starts.fetch_add(1, Ordering::SeqCst);
        self.0.uids.lock().unwrap().push(uid.uid());
        self.0.inits.lock().unwrap().push(init);
        if self.0.init_fails.load(Ordering::SeqCst) {
            return Ok(Created::InitFailed {
                error_type: "Runtime.ImportModuleError".into(),
                body: crate::error::function_error(
                    "Runtime.ImportModuleError",
                    "Unable to import module 'app': boom",
                ),
                lines: vec![(0, "Traceback: boom".into())],
            });
        }
        let (out_r, out_w) = std::io::pipe().unwrap();
        let (err_r, err_w) = std::io::pipe().unwrap();
        let stream = log.stream.clone();
        let output = Capture::start(out_r.into(), err_r.into(), log).unwrap();
        let proc = Arc::new(Proc {
            writers: Mutex::new(Some((out_w, err_w))),
            exit: Mutex::default(),
        });
        let jail = FakeJail {
            script: Arc::clone(&self.0),
            proc: Arc::clone(&proc),
            killed: false,
        };
        let api = FakeRuntime {
            script: Arc::clone(&self.0),
            proc,
        };
        Ok(Created::Ready(Box::new(Environment::ready(
            id,
            stream,
            (Duration::from_millis(1), Duration::from_millis(2)),
            (jail, uid),
            api,
            output,
        ))))
    }

    fn prepare_ahead(&self) {}

    fn discard_ahead(&self) {}
}

/// Records every append.
#[derive(Default)]
pub(crate) struct Recorded(Mutex<Vec<(String, String, String)>>);

impl LogSink for Recorded {
    fn append(&self, group: &str, stream: &str, lines: &[(i64, String)]) {
        let mut all = self.0.lock().unwrap();
        for (_, text) in lines {
            all.push((group.to_owned(), stream.to_owned(), text.clone()));
        }
    }
}

impl Recorded {
    /// Every line written so far, in order.
    pub(crate) fn all(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, _, t)| t.clone())
            .collect()
    }

    /// The lines written so far that mention `needle`.
    pub(crate) fn lines_with(&self, needle: &str) -> Vec<String> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|(_, _, t)| t.contains(needle))
            .map(|(_, _, t)| t.clone())
            .collect()
    }

    /// The stream a line mentioning `needle` went to.
    pub(crate) fn stream_of(&self, needle: &str) -> Option<String> {
        let all = self.0.lock().unwrap();
        all.iter()
            .find(|(_, _, t)| t.contains(needle))
            .map(|(_, s, _)| s.clone())
    }
}

/// An engine over the fake backend, with its script and log.
pub(crate) fn engine(lifetime: Lifetime) -> (Engine<Fake>, Arc<Script>, Arc<Recorded>) {
    engine_with(lifetime, Duration::from_secs(3600))
}

/// [`engine`] with an idle TTL.
pub(crate) fn engine_with(
    lifetime: Lifetime,
    idle_ttl: Duration,
) -> (Engine<Fake>, Arc<Script>, Arc<Recorded>) {
    engine_full(
        lifetime,
        idle_ttl,
        u64::MAX,
        1000..=1099,
        stratus_logs::capture::DEFAULT_INVOCATION_LIMIT_BYTES,
    )
}

/// [`engine`] whose environments may hold `memory_limit_mb` in all.
pub(crate) fn engine_with_memory(
    memory_limit_mb: u64,
) -> (Engine<Fake>, Arc<Script>, Arc<Recorded>) {
    engine_full(
        Lifetime::default(),
        Duration::from_secs(3600),
        memory_limit_mb,
        1000..=1099,
        stratus_logs::capture::DEFAULT_INVOCATION_LIMIT_BYTES,
    )
}

/// [`engine`] whose environments run as the uids of `uids`.
pub(crate) fn engine_with_uids(
    uids: std::ops::RangeInclusive<u32>,
) -> (Engine<Fake>, Arc<Script>, Arc<Recorded>) {
    engine_full(
        Lifetime::default(),
        Duration::from_secs(3600),
        u64::MAX,
        uids,
        stratus_logs::capture::DEFAULT_INVOCATION_LIMIT_BYTES,
    )
}

/// [`engine`] keeping at most `log_limit` bytes of output per invocation.
pub(crate) fn engine_with_log_limit(log_limit: u64) -> (Engine<Fake>, Arc<Script>, Arc<Recorded>) {
    engine_full(
        Lifetime::default(),
        Duration::from_secs(3600),
        u64::MAX,
        1000..=1099,
        log_limit,
    )
}

fn engine_full(
    lifetime: Lifetime,
    idle_ttl: Duration,
    memory_limit_mb: u64,
    uids: std::ops::RangeInclusive<u32>,
    log_limit: u64,
) -> (Engine<Fake>, Arc<Script>, Arc<Recorded>) {
    let script = Arc::new(Script::default());
    let logs = Arc::new(Recorded::default());
    let config = EngineConfig {
        region: "us-east-1".into(),
        packages_dir: PathBuf::from("/nonexistent/packages"),
        runtime_dir: PathBuf::from("/nonexistent/runtimes"),
        tmp_images_dir: PathBuf::from("/nonexistent/tmp-images"),
        idle_ttl,
        lifetime,
        account_concurrency: 10,
        uids,
        host: HostConfig::detect(),
        cpus: 2,
        spare_sandboxes: 0,
        memory_limit_mb,
        log_limit_per_invocation: log_limit,
    };
    let engine = Engine::with_backend(
        config,
        Fake(Arc::clone(&script)),
        Arc::clone(&logs) as Arc<dyn LogSink>,
    );
    (engine, script, logs)
}

/// An invocation of function `name` (reserved concurrency `reserved`).
pub(crate) fn request(name: &str, request_id: &str, reserved: Option<i64>) -> InvokeRequest {
    invocation_of(version(name, Version::Latest), request_id, reserved)
}

/// Version `version` of function `name`.
pub(crate) fn version(name: &str, version: Version) -> Arc<FunctionVersion> {
    Arc::new(FunctionVersion {
        function_name: name.into(),
        version,
        settings: stratus_model::settings::default_settings(name),
        code: CodeRef {
            sha256_hex: "0".repeat(64),
            sha256_b64: String::new(),
            size: 0,
            unzipped_size: 0,
        },
        last_modified: String::new(),
        revision_id: "r1".into(),
    })
}

/// An invocation of `f`.
pub(crate) fn invocation_of(
    f: Arc<FunctionVersion>,
    request_id: &str,
    reserved: Option<i64>,
) -> InvokeRequest {
    let name = f.function_name.clone();
    InvokeRequest {
        function: f,
        invoked_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
        payload: bytes::Bytes::from_static(b"{\"n\":1}"),
        client_context: None,
        tail: true,
        reserved_concurrency: reserved,
        unreserved_pool: None,
        request_id: request_id.into(),
    }
}

/// Waits (up to ten seconds) until `cond` holds.
pub(crate) async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting until {what}");
}
