//! Asynchronous invoke figures (issue 8 §4): durable enqueue throughput beside a bare SQLite
//! commit loop with the same durability, and the time from an event's 202 to its handler's
//! start beside a warm synchronous invoke of the same function.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::client::{signed, signed_with, Conn};
use crate::figures::{ms, percentile, us};
use crate::server::Server;

const ENQUEUE_CONNECTIONS: usize = 64;
const COMMITS: usize = 2_000;
const LATENCY_EVENTS: usize = 300;
const EVENT: &[&str] = &["x-amz-invocation-type: Event"];

fn unix_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

/// A no-op `provided` function that logs each event's arrival (`NOOP_LOG_START`).
fn create_logging(conn: &mut Conn, addr: SocketAddr, name: &str, zip: &[u8]) -> anyhow::Result<()> {
    crate::invoke_figures::create_with(
        conn,
        addr,
        (name, "provided.al2023", "noop"),
        zip,
        1769,
        serde_json::json!({"NOOP_LOG_START": "1"}),
    )
}

/// The floor: one small row per transaction in a WAL database with `synchronous=FULL`, in
/// a directory on the same file system as the server's data: commits per second.
fn commit_floor(dir: &Path) -> anyhow::Result<f64> {
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    rt.block_on(async {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        use sqlx::{ConnectOptions, Connection};
        let mut db = SqliteConnectOptions::new()
            .filename(dir.join("floor.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .connect()
            .await?;
        sqlx::query("CREATE TABLE events (id TEXT PRIMARY KEY, payload BLOB NOT NULL)")
            .execute(&mut db)
            .await?;
        let start = Instant::now();
        for i in 0..COMMITS {
            let mut tx = db.begin().await?;
            sqlx::query("INSERT INTO events (id, payload) VALUES (?, ?)")
                .bind(format!("{i:036}"))
                .bind(&b"{}"[..])
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        let rate = COMMITS as f64 / start.elapsed().as_secs_f64();
        db.close().await?;
        anyhow::Ok(rate)
    })
}

/// Every `noop-start <request id> <µs>` line of the function's log group, by request id.
fn handler_starts(addr: SocketAddr, function: &str) -> anyhow::Result<HashMap<String, u128>> {
    let mut conn = Conn::open(addr)?;
    let mut starts = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = serde_json::json!({
            "logGroupName": format!("/aws/lambda/{function}"),
            "filterPattern": "noop-start",
            "limit": 10000,
        });
        if let Some(t) = &token {
            body["nextToken"] = serde_json::Value::String(t.clone());
        }
        let body = body.to_string();
        let req = signed_with(
            addr,
            "logs",
            "POST",
            "/",
            &["x-amz-target: Logs_20140328.FilterLogEvents"],
            body.as_bytes(),
        );
        let status = conn.roundtrip(&req)?;
        anyhow::ensure!(
            status == 200,
            "FilterLogEvents: {}",
            String::from_utf8_lossy(conn.body())
        );
        let page: serde_json::Value = serde_json::from_slice(conn.body())?;
        for event in page["events"].as_array().into_iter().flatten() {
            let mut words = event["message"].as_str().unwrap_or("").split_whitespace();
            if let (Some("noop-start"), Some(id), Some(t)) =
                (words.next(), words.next(), words.next())
            {
                if let Ok(t) = t.parse() {
                    starts.insert(id.to_owned(), t);
                }
            }
        }
        match page["nextToken"].as_str() {
            Some(t) if Some(t) != token.as_deref() => token = Some(t.to_owned()),
            _ => return Ok(starts),
        }
    }
}

/// Runs the async figures against the server binary; `noop` is the no-op bootstrap.
pub fn run(binary: &Path, noop: &Path) -> anyhow::Result<()> {
    let zip = crate::invoke_figures::zip_files(&[("bootstrap", &std::fs::read(noop)?, 0o755)])?;

    // Throughput: acknowledged events per second while the dispatcher runs them, two at a
    // time (`--async-concurrency 2`, one per core): with the default (the account's 1000)
    // the dispatcher would start hundreds of environments of the one function at once and
    // the figure would measure cold starts competing with the enqueues for the two cores.
    let (server, _) = Server::start_with(binary, &["--async-concurrency", "2"])?;
    let addr = server.addr;
    let mut conn = Conn::open(addr)?;
    create_logging(&mut conn, addr, "async-tput", &zip)?;
    let event = signed_with(
        addr,
        "lambda",
        "POST",
        "/2015-03-31/functions/async-tput/invocations",
        EVENT,
        b"{}",
    );
    anyhow::ensure!(
        conn.roundtrip(&event)? == 202,
        "event invoke: {}",
        String::from_utf8_lossy(conn.body())
    );
    let rate = crate::figures::throughput(addr, &event, ENQUEUE_CONNECTIONS, 202)?;
    let floor = commit_floor(server._data.path())?;
    drop(server);

    // Latency: 202 to handler start, on an otherwise idle server with a warm environment.
    let (server, _) = Server::start(binary)?;
    let addr = server.addr;
    let mut conn = Conn::open(addr)?;
    create_logging(&mut conn, addr, "async-latency", &zip)?;
    let sync = signed(
        addr,
        "POST",
        "/2015-03-31/functions/async-latency/invocations",
        b"{}",
    );
    let mut warm = Vec::with_capacity(LATENCY_EVENTS);
    for _ in 0..LATENCY_EVENTS {
        let t = Instant::now();
        anyhow::ensure!(conn.roundtrip(&sync)? == 200, "warm invoke");
        warm.push(t.elapsed());
    }
    let event = signed_with(
        addr,
        "lambda",
        "POST",
        "/2015-03-31/functions/async-latency/invocations",
        EVENT,
        b"{}",
    );
    let (mut sent, mut acks) = (
        Vec::with_capacity(LATENCY_EVENTS),
        Vec::with_capacity(LATENCY_EVENTS),
    );
    for _ in 0..LATENCY_EVENTS {
        let t = Instant::now();
        let at = unix_micros();
        anyhow::ensure!(conn.roundtrip(&event)? == 202, "event invoke");
        acks.push(t.elapsed());
        sent.push((conn.request_id().to_owned(), at));
        // Space the events out so each one meets an idle dispatcher and environment.
        std::thread::sleep(Duration::from_millis(10));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let starts = loop {
        let starts = handler_starts(addr, "async-latency")?;
        if sent.iter().all(|(id, _)| starts.contains_key(id)) {
            break starts;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {} of {LATENCY_EVENTS} events ran in 60 s",
            starts.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut latency: Vec<Duration> = sent
        .iter()
        .map(|(id, at)| {
            let start = starts.get(id).copied().unwrap_or(*at);
            Duration::from_micros(start.saturating_sub(*at) as u64)
        })
        .collect();
    drop(server);

    println!("| async enqueue (durable: 202 after the commit) | events/s |");
    println!("|---|---|");
    println!("| `InvocationType=Event`, {ENQUEUE_CONNECTIONS} keep-alive connections, while the dispatcher runs the events (2 at a time) | {rate:.0} |");
    println!("| floor: a bare SQLite commit loop, one event per transaction (WAL, `synchronous=FULL`) | {floor:.0} |");
    println!();
    println!(
        "| async latency ({LATENCY_EVENTS} events, 10 ms apart, warm environment) | p50 | p99 |"
    );
    println!("|---|---|---|");
    println!(
        "| request sent → handler start | {} | {} |",
        ms(percentile(&mut latency, 0.5)),
        ms(percentile(&mut latency, 0.99))
    );
    println!(
        "| of which the 202 round trip | {} | {} |",
        us(percentile(&mut acks, 0.5)),
        us(percentile(&mut acks, 0.99))
    );
    println!(
        "| floor: a warm synchronous invoke of the same function | {} | {} |",
        us(percentile(&mut warm, 0.5)),
        us(percentile(&mut warm, 0.99))
    );
    Ok(())
}
