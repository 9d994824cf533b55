//! `stratus-bench`: starts the real server binary and measures it from the outside, each
//! figure beside the lower bound measured in the same run on the same machine.
//!
//! Usage: `stratus-bench [PATH_TO_STRATUS [control|invoke|burst|async|capacity|runtimes]]`
//! (default `target/release/stratus`, every part but `capacity` and `runtimes`). `noop-bootstrap` must sit beside
//! the server binary. `runtimes` measures only the bundled runtimes driven directly (no
//! server; the server binary need not exist). Prints markdown tables for BENCHMARKS.md.

mod async_figures;
mod burst_figures;
mod capacity_figures;
mod client;
mod direct;
mod figures;
mod invoke_figures;
mod runtime_figures;
mod scraped;
mod server;

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let binary = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/stratus"));
    let noop = binary.with_file_name("noop-bootstrap");
    anyhow::ensure!(
        noop.is_file(),
        "no noop-bootstrap beside the server binary at {}",
        noop.display()
    );
    let part = std::env::args().nth(2);
    if part.as_deref() == Some("runtimes") {
        return runtime_figures::run(&noop);
    }
    anyhow::ensure!(binary.is_file(), "no server binary at {}", binary.display());
    match part.as_deref() {
        Some("control") => figures::run(&binary),
        Some("invoke") => invoke_figures::run(&binary, &noop),
        Some("burst") => burst_figures::run(&binary, &noop),
        Some("async") => async_figures::run(&binary, &noop),
        Some("capacity") => capacity_figures::run(&binary, &noop),
        _ => {
            figures::run(&binary)?;
            println!();
            invoke_figures::run(&binary, &noop)?;
            println!();
            burst_figures::run(&binary, &noop)?;
            println!();
            async_figures::run(&binary, &noop)
        }
    }
}
