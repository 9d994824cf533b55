//! `noop-bootstrap`: the smallest custom runtime — answers every event with `{}` over the
//! Runtime API, on one keep-alive connection. Used by the benchmark as the no-op `provided`
//! function, so the figures measure the platform rather than a language runtime.
//!
//! With `NOOP_LOG_START` set in its environment it also prints
//! `noop-start <request id> <unix time in µs>` on stdout as each event arrives, so that the
//! benchmark can time an asynchronous event from its 202 to the handler's start. With
//! `NOOP_SLEEP_MS` it waits that long before answering (a function that holds its
//! environment busy, for the capacity figures).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

fn main() -> std::io::Result<()> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_else(|_| "127.0.0.1:9001".into());
    let stream = TcpStream::connect(&api)?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let next = format!("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: {api}\r\n\r\n");
    let mut line = String::new();
    let mut body = Vec::new();
    let log_start = std::env::var_os("NOOP_LOG_START").is_some();
    let sleep = std::env::var("NOOP_SLEEP_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(std::time::Duration::from_millis);
    let mut stdout = std::io::stdout();
    loop {
        writer.write_all(next.as_bytes())?;
        let mut request_id = String::new();
        let mut length = 0usize;
        line.clear();
        reader.read_line(&mut line)?;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("lambda-runtime-aws-request-id") {
                    request_id = v.trim().to_owned();
                } else if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
        if log_start {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_micros());
            writeln!(stdout, "noop-start {request_id} {now}")?;
            stdout.flush()?;
        }
        if let Some(sleep) = sleep {
            std::thread::sleep(sleep);
        }
        let response = format!(
            "POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\nhost: {api}\r\ncontent-length: 2\r\n\r\n{{}}"
        );
        writer.write_all(response.as_bytes())?;
        // Read the 202 (status line, headers, body).
        let mut length = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
}
