//! Lambda's platform log lines, byte for byte.

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
}
