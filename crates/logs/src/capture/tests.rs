//! The capture over real pipes: lines reach the sink in order around START and END, a
//! writer far faster than the sink never makes the capture hold more than its bound, a
//! writer held back by a backlogged sink never stops an invocation from finishing, and
//! what is printed between invocations is kept when the environment goes.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::*;

/// Records what reaches it; reports itself backlogged while told to.
#[derive(Default)]
struct Rec {
    lines: Mutex<Vec<String>>,
    bytes: AtomicUsize,
    backlogged: AtomicBool,
}

impl LogSink for Rec {
    fn append(&self, group: &str, stream: &str, lines: &[(i64, String)]) {
        assert_eq!((group, stream), ("g", "s"));
        let mut all = self.lines.lock().unwrap();
        for (_, l) in lines {
            self.bytes.fetch_add(l.len(), Ordering::SeqCst);
            if !l.starts_with("xxxx") {
                all.push(l.clone());
            }
        }
    }

    fn backlogged(&self) -> bool {
        self.backlogged.load(Ordering::SeqCst)
    }
}

impl Rec {
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

fn start(limit: u64) -> (Capture, Arc<Rec>, std::fs::File, std::fs::File) {
    let (out_rx, out_tx) = std::io::pipe().unwrap();
    let (err_rx, err_tx) = std::io::pipe().unwrap();
    let rec = Arc::new(Rec::default());
    let cap = Capture::start(
        OwnedFd::from(out_rx),
        OwnedFd::from(err_rx),
        Target {
            sink: Arc::clone(&rec) as Arc<dyn LogSink>,
            group: "g".into(),
            stream: "s".into(),
            invocation_limit: limit,
            opening: vec![(0, "INIT_START".into())],
        },
    )
    .unwrap();
    let out = std::fs::File::from(OwnedFd::from(out_tx));
    let err = std::fs::File::from(OwnedFd::from(err_tx));
    (cap, rec, out, err)
}

fn end_lines() -> [String; 2] {
    ["END".into(), "REPORT".into()]
}

#[tokio::test]
async fn lines_reach_the_stream_between_start_and_end() {
    let (cap, rec, mut out, mut err) = start(u64::MAX);
    let before = cap.held_bytes();
    out.write_all(b"init says hi\n").unwrap();
    // START does not read the pipes: what came before is what the readers collected.
    while cap.held_bytes() == before {
        tokio::task::yield_now().await;
    }
    cap.begin("START".into());
    out.write_all(b"one\ntw").unwrap();
    err.write_all(b"oops\n").unwrap();
    let tail = cap.finish("r1", false, end_lines(), true).unwrap();
    let lines = rec.lines();
    assert_eq!(lines[..3], ["INIT_START", "init says hi", "START"]);
    assert!(lines.contains(&"one".into()) && lines.contains(&"oops".into()));
    assert_eq!(lines[lines.len() - 2..], ["END", "REPORT"]);
    assert!(
        tail.ends_with("END\nREPORT\n") && tail.contains("START\n"),
        "{tail}"
    );
    cap.begin("START 2".into());
    out.write_all(b"o\n").unwrap();
    cap.finish("r2", false, end_lines(), false);
    assert_eq!(
        rec.lines()[lines.len()..],
        ["START 2", "two", "END", "REPORT"]
    );
    assert!(!cap.is_closed());
    drop(out);
    drop(err);
    tokio::time::timeout(std::time::Duration::from_secs(5), cap.closed())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_written_as_it_comes_and_truncated_at_the_limit() {
    let limit = 8 << 20;
    let (cap, rec, mut out, err) = start(limit);
    cap.begin("START".into());
    let total: usize = 64 << 20;
    let writer = std::thread::spawn(move || {
        let line = [b"x".repeat(1023), b"\n".to_vec()].concat();
        let chunk = line.repeat(64);
        for _ in 0..total / chunk.len() {
            out.write_all(&chunk).unwrap();
        }
    });
    // Nobody finishes the invocation meanwhile: the readers alone keep the writer going.
    let mut peak = 0;
    while !writer.is_finished() {
        peak = peak.max(cap.held_bytes());
        tokio::task::yield_now().await;
    }
    writer.join().unwrap();
    assert!(
        rec.bytes.load(Ordering::SeqCst) > 0,
        "nothing was written before the end"
    );
    cap.finish("rid", false, end_lines(), false);
    peak = peak.max(cap.held_bytes());
    assert!(peak <= 2 << 20, "{peak} bytes held");
    let lines = rec.lines();
    let kept_text = rec.bytes.load(Ordering::SeqCst);
    let truncation = lines.iter().find(|l| l.contains("Log truncated")).unwrap();
    // Kept: the limit's worth of output, one newline per 1,024 bytes not counted as text.
    let kept_output = limit as usize / 1024 * 1023;
    let platform: usize = lines
        .iter()
        .filter(|l| !l.starts_with('x'))
        .map(|l| l.len())
        .sum();
    assert_eq!(kept_text - platform, kept_output);
    let dropped = total - limit as usize;
    assert!(
        truncation.contains(&format!("rid Log truncated: {dropped} bytes")),
        "{truncation}"
    );
    assert_eq!(
        lines[lines.len() - 3..],
        [truncation.clone(), "END".into(), "REPORT".into()]
    );
    drop(err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlogged_sink_holds_the_writer_back_but_never_the_invocation() {
    let (cap, rec, mut out, err) = start(u64::MAX);
    rec.backlogged.store(true, Ordering::SeqCst);
    cap.begin("START".into());
    let total = 6 << 20;
    let writer = std::thread::spawn(move || {
        let line = [b"y".repeat(99), b"\n".to_vec()].concat();
        out.write_all(&line.repeat(total / 100)).unwrap();
    });
    // The readers hold back; the end of the invocation reads the pipes itself.
    cap.finish("r1", false, end_lines(), false);
    assert!(rec.lines().contains(&"END".to_owned()));
    assert!(cap.held_bytes() <= 2 << 20);
    rec.backlogged.store(false, Ordering::SeqCst);
    writer.join().unwrap();
    cap.begin("START 2".into());
    cap.finish("r2", false, end_lines(), false);
    let ys = rec.lines().iter().filter(|l| l.starts_with('y')).count();
    assert_eq!(ys, total / 100, "every line arrives once the sink keeps up");
    drop(err);
}

#[tokio::test]
async fn output_between_invocations_is_kept_when_the_environment_goes() {
    let (cap, rec, mut out, err) = start(u64::MAX);
    cap.begin("START".into());
    cap.finish("r1", false, end_lines(), false);
    out.write_all(b"idle thread\nno newline").unwrap();
    drop(out);
    drop(err);
    tokio::time::timeout(std::time::Duration::from_secs(5), cap.closed())
        .await
        .unwrap();
    assert_eq!(rec.lines()[4..], ["idle thread", "no newline"]);
}
