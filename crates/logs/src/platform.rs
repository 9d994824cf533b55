//! Lambda's platform log lines, byte for byte; the line Stratus adds when it truncates a
//! function's output; and the log tail that `X-Amz-Log-Result` carries.

use std::time::Duration;

/// `INIT_START Runtime Version: …\tRuntime Version ARN: …`.
pub fn init_start(runtime: &str, region: &str) -> String {
    let tag = runtime.replace('.', "-");
    format!("INIT_START Runtime Version: stratus:{runtime}\tRuntime Version ARN: arn:aws:lambda:{region}::runtime:stratus-{tag}")
}

/// `START RequestId: ID Version: V`.
pub fn start(request_id: &str, version: &str) -> String {
    format!("START RequestId: {request_id} Version: {version}")
}

/// `END RequestId: ID`.
pub fn end(request_id: &str) -> String {
    format!("END RequestId: {request_id}")
}

/// What REPORT reports.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Time the invocation ran.
    pub duration: Duration,
    /// MemorySize.
    pub memory_mb: u32,
    /// Peak memory of the environment.
    pub max_memory_used_mb: u64,
    /// Init time, on cold starts only.
    pub init: Option<Duration>,
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `REPORT RequestId: …\tDuration: 1.23 ms\tBilled Duration: 2 ms\t…` with a trailing tab.
pub fn report(request_id: &str, r: &Report) -> String {
    let billed = millis(r.duration).ceil().max(1.0) as u64;
    let mut line = format!(
        "REPORT RequestId: {request_id}\tDuration: {:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
        millis(r.duration),
        r.memory_mb,
        r.max_memory_used_mb
    );
    if let Some(init) = r.init {
        line.push_str(&format!("Init Duration: {:.2} ms\t", millis(init)));
    }
    line
}

/// The line written before END when an invocation times out.
pub fn timed_out(now_iso: &str, request_id: &str, timeout_secs: u32) -> String {
    format!("{now_iso} {request_id} Task timed out after {timeout_secs}.00 seconds")
}

/// Now, as Lambda's log lines write it (`2026-01-02T03:04:05.678Z`).
pub fn now_iso() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The line written in place of output past the per-invocation limit: `dropped` bytes
/// were counted and discarded because more than `limit` bytes were printed, during
/// invocation `request_id` (or, without one, outside any invocation: during init or
/// between invocations).
pub fn truncated(now_iso: &str, request_id: Option<&str>, dropped: u64, limit: u64) -> String {
    let (id, when) = match request_id {
        Some(id) => (format!(" {id}"), "this invocation"),
        None => (
            String::new(),
            "outside an invocation (init or between invocations)",
        ),
    };
    format!(
        "{now_iso}{id} Log truncated: {dropped} bytes of output printed {when} were dropped \
         after the first {limit} bytes. This server keeps at most {limit} bytes of a \
         function's output per invocation (setting --log-max-invocation-mb) so that a \
         function printing without end cannot fill its disk."
    )
}

/// Bytes of the log that `X-Amz-Log-Result` carries, as on Lambda.
pub const TAIL_BYTES: usize = 4096;

/// The last [`TAIL_BYTES`] of `lines`, each followed by a newline (starting at a character
/// boundary). Only the lines that reach into the tail are looked at.
pub fn tail(lines: &[(i64, String)]) -> String {
    let mut from = lines.len();
    let mut bytes = 0;
    while from > 0 && bytes < TAIL_BYTES {
        from -= 1;
        bytes += lines[from].1.len() + 1;
    }
    let mut text = String::with_capacity(bytes);
    for (_, l) in &lines[from..] {
        text.push_str(l);
        text.push('\n');
    }
    let mut start = text.len().saturating_sub(TAIL_BYTES);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.split_off(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_matches_lambda() {
        let r = Report {
            duration: Duration::from_micros(26_730),
            memory_mb: 128,
            max_memory_used_mb: 75,
            init: Some(Duration::from_micros(130_490)),
        };
        assert_eq!(
            report("abc", &r),
            "REPORT RequestId: abc\tDuration: 26.73 ms\tBilled Duration: 27 ms\tMemory Size: 128 MB\tMax Memory Used: 75 MB\tInit Duration: 130.49 ms\t"
        );
        assert_eq!(
            start("abc", "$LATEST"),
            "START RequestId: abc Version: $LATEST"
        );
        assert_eq!(end("abc"), "END RequestId: abc");
    }

    #[test]
    fn tail_is_the_last_4_kb_of_the_lines() {
        let lines: Vec<(i64, String)> = (0..100).map(|n| (0, format!("{n:099}"))).collect();
        let t = tail(&lines);
        assert_eq!(t.len(), TAIL_BYTES);
        let whole: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
        assert!(whole.ends_with(&t));
        let short = [(0, "a".to_owned()), (0, "é".to_owned())];
        assert_eq!(tail(&short), "a\né\n");
        // A cut inside a character moves forward to the next boundary.
        let wide = [(0, "é".repeat(3000))];
        let t = tail(&wide);
        assert!(t.len() <= TAIL_BYTES && t.len() >= TAIL_BYTES - 1 && t.ends_with("é\n"));
    }

    #[test]
    fn truncation_line_says_what_and_why() {
        let l = truncated("2026-01-02T03:04:05.678Z", Some("rid"), 900, 100);
        assert!(
            l.starts_with("2026-01-02T03:04:05.678Z rid Log truncated: 900 bytes"),
            "{l}"
        );
        assert!(
            l.contains("at most 100 bytes") && l.contains("--log-max-invocation-mb"),
            "{l}"
        );
        let l = truncated("T", None, 5, 10);
        assert!(
            l.starts_with("T Log truncated: 5 bytes of output printed outside an invocation"),
            "{l}"
        );
    }
}
