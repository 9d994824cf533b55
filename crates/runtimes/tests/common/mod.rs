//! Test harness: a fake Runtime API (2018-06-01) on a real socket, and a runner that starts
//! a real bootstrap under a real interpreter against a temporary task root.

#![allow(dead_code, clippy::unwrap_used)] // shared by several test binaries; a panic is the failure report

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use stratus_runtimes::{launch_for, Launch};

/// One event the fake API hands out on `/next`.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: String,
    pub body: String,
    /// Extra `/next` headers (request id and deadline are always sent).
    pub headers: Vec<(String, String)>,
    pub deadline_ms: u64,
}

impl Event {
    pub fn new(id: &str, body: &str) -> Self {
        Event {
            id: id.into(),
            body: body.into(),
            headers: Vec::new(),
            deadline_ms: now_ms() + 30_000,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// One POST the runtime made.
#[derive(Clone, Debug)]
pub struct Post {
    /// Path after `/2018-06-01/runtime`.
    pub path: String,
    /// Lower-cased header names.
    pub headers: HashMap<String, String>,
    pub body: String,
    pub at: Instant,
}

impl Post {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body of {} is not JSON ({e}): {}", self.path, self.body))
    }
    pub fn error_type_header(&self) -> &str {
        self.headers
            .get("lambda-runtime-function-error-type")
            .map(String::as_str)
            .unwrap_or("")
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<Event>,
    posts: Vec<Post>,
    next_served: HashMap<String, Instant>,
    closed: bool,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A minimal HTTP/1.1 keep-alive server speaking the Runtime API.
pub struct FakeApi {
    pub addr: String,
    shared: Shared,
}

impl FakeApi {
    pub fn start(events: Vec<Event>) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let shared: Shared = Arc::new((
            Mutex::new(State {
                queue: events.into(),
                ..State::default()
            }),
            Condvar::new(),
        ));
        let s = shared.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let s = s.clone();
                thread::spawn(move || serve(stream, s));
            }
        });
        FakeApi { addr, shared }
    }

    pub fn posts(&self) -> Vec<Post> {
        self.shared.0.lock().unwrap().posts.clone()
    }

    /// When `/next` handed out the event with this id.
    pub fn served_at(&self, id: &str) -> Option<Instant> {
        self.shared.0.lock().unwrap().next_served.get(id).copied()
    }

    fn close(&self) {
        self.shared.0.lock().unwrap().closed = true;
        self.shared.1.notify_all();
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.close();
    }
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    assert!(
        !headers.contains_key("transfer-encoding"),
        "runtime sent a chunked body; it should send Content-Length"
    );
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(String, String)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(body);
}

fn serve(stream: TcpStream, shared: Shared) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader) {
        let path = req
            .path
            .strip_prefix("/2018-06-01/runtime")
            .unwrap_or(&req.path)
            .to_string();
        if req.method == "GET" && path == "/invocation/next" {
            let (lock, cvar) = &*shared;
            let mut state = lock.lock().unwrap();
            let event = loop {
                if state.closed {
                    return;
                }
                if let Some(e) = state.queue.pop_front() {
                    break e;
                }
                state = cvar
                    .wait_timeout(state, Duration::from_millis(100))
                    .unwrap()
                    .0;
            };
            state.next_served.insert(event.id.clone(), Instant::now());
            drop(state);
            let mut headers = vec![
                (
                    "Lambda-Runtime-Aws-Request-Id".to_string(),
                    event.id.clone(),
                ),
                (
                    "Lambda-Runtime-Deadline-Ms".to_string(),
                    event.deadline_ms.to_string(),
                ),
                ("Content-Type".to_string(), "application/json".to_string()),
            ];
            headers.extend(event.headers.iter().cloned());
            respond(&mut writer, "200 OK", &headers, event.body.as_bytes());
        } else if req.method == "POST" {
            let (lock, cvar) = &*shared;
            lock.lock().unwrap().posts.push(Post {
                path,
                headers: req.headers,
                body: String::from_utf8_lossy(&req.body).into_owned(),
                at: Instant::now(),
            });
            cvar.notify_all();
            respond(&mut writer, "202 Accepted", &[], br#"{"status":"OK"}"#);
        } else {
            respond(&mut writer, "404 Not Found", &[], b"{}");
        }
    }
}

/// What a run of the bootstrap produced.
pub struct Run {
    pub posts: Vec<Post>,
    pub stdout: String,
    pub stderr: String,
    /// Set when the runtime exited on its own (it is killed otherwise).
    pub exit: Option<ExitStatus>,
    pub api: FakeApi,
}

impl Run {
    pub fn post(&self, path: &str) -> &Post {
        self.posts
            .iter()
            .find(|p| p.path == path)
            .unwrap_or_else(|| {
                panic!(
                    "no POST {path}; got {:#?}\nstdout:\n{}\nstderr:\n{}",
                    self.posts, self.stdout, self.stderr
                )
            })
    }
    pub fn response(&self, id: &str) -> serde_json::Value {
        self.post(&format!("/invocation/{id}/response")).json()
    }
    pub fn error(&self, id: &str) -> &Post {
        self.post(&format!("/invocation/{id}/error"))
    }
    pub fn init_error(&self) -> &Post {
        self.post("/init/error")
    }
}

/// A task root and runtime directory for one test.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub task: PathBuf,
    pub runtime: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let task = dir.path().join("task");
        let runtime = dir.path().join("runtime");
        std::fs::create_dir_all(&task).unwrap();
        stratus_runtimes::install(&runtime).unwrap();
        Sandbox {
            dir,
            task,
            runtime,
            env: vec![
                ("AWS_LAMBDA_FUNCTION_NAME".into(), "fn-under-test".into()),
                ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
                ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "256".into()),
                (
                    "AWS_LAMBDA_LOG_GROUP_NAME".into(),
                    "/aws/lambda/fn-under-test".into(),
                ),
                (
                    "AWS_LAMBDA_LOG_STREAM_NAME".into(),
                    "2025/01/02/[$LATEST]0123456789abcdef0123456789abcdef".into(),
                ),
                ("AWS_REGION".into(), "us-east-1".into()),
                ("TZ".into(), ":UTC".into()),
            ],
        }
    }

    /// Writes a file under the task root.
    pub fn file(&self, rel: &str, contents: &str) -> &Self {
        let path = self.task.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// Runs `runtime`'s bootstrap with `_HANDLER=handler` until it has made `expect_posts`
    /// POSTs or exited.
    pub fn run(
        &self,
        runtime: &str,
        handler: &str,
        events: Vec<Event>,
        expect_posts: usize,
    ) -> Run {
        let Launch::Bundled(spec) = launch_for(runtime).unwrap() else {
            panic!("{runtime} is not bundled");
        };
        let api = FakeApi::start(events);
        let relocate = |s: &str| s.replace("/var/runtime", self.runtime.to_str().unwrap());
        let mut cmd = Command::new(&spec.argv[0]);
        cmd.args(spec.argv[1..].iter().map(|a| relocate(a)))
            .env_clear()
            .current_dir(&self.task)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &spec.env {
            cmd.env(k, relocate(v));
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.env("AWS_LAMBDA_RUNTIME_API", &api.addr)
            .env("_HANDLER", handler)
            .env("LAMBDA_TASK_ROOT", &self.task)
            .env("LAMBDA_RUNTIME_DIR", &self.runtime);
        let mut child = cmd.spawn().unwrap();
        let out = drain(child.stdout.take().unwrap());
        let err = drain(child.stderr.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut exit = None;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                exit = Some(status);
                break;
            }
            if api.posts().len() >= expect_posts || Instant::now() > deadline {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        if exit.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let stdout = out.join().unwrap();
        let stderr = err.join().unwrap();
        Run {
            posts: api.posts(),
            stdout,
            stderr,
            exit,
            api,
        }
    }
}

fn drain(mut r: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Standard `/next` headers for a context test.
pub fn rich_event(id: &str, body: &str) -> Event {
    Event::new(id, body)
        .header(
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:us-east-1:123456789012:function:fn-under-test:live",
        )
        .header(
            "Lambda-Runtime-Trace-Id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .header(
            "Lambda-Runtime-Client-Context",
            r#"{"client":{"installation_id":"inst-1","app_title":"App","app_version_name":"1.0","app_version_code":"7","app_package_name":"com.example"},"custom":{"k":"v"},"env":{"platform":"test"}}"#,
        )
        .header(
            "Lambda-Runtime-Cognito-Identity",
            r#"{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}"#,
        )
}

pub fn path_of(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// The `nodejsNN.x` identifier of the host's `node`.
pub fn node_runtime() -> String {
    let out = Command::new("node").arg("--version").output().unwrap();
    let version = String::from_utf8(out.stdout).unwrap();
    let major = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .unwrap();
    format!("nodejs{major}.x")
}
