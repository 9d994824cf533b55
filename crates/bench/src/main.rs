//! `stratus-bench`: starts the real server binary and measures it from the outside, each
//! figure beside the lower bound measured in the same run on the same machine.
//!
//! Usage: `stratus-bench [PATH_TO_STRATUS]` (default `target/release/stratus`). Prints a
//! markdown table for BENCHMARKS.md.

mod client;
mod figures;
mod server;

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let binary = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/stratus"));
    anyhow::ensure!(binary.is_file(), "no server binary at {}", binary.display());
    figures::run(&binary)
}
