//! Which Lambda runtime identifiers this host can serve.
//!
//! Sandboxes see the host's system directories, so only interpreters installed there count
//! (not per-user installs such as pyenv shims): `python3.X` when `/usr/bin/python3.X` or
//! `/usr/local/bin/python3.X` exists, `nodejsNN.x` when `node` there reports major NN.
//! Custom runtimes (`provided*`) need nothing from the host.

use std::path::{Path, PathBuf};
use std::process::Command;

use stratus_model::runtime::CUSTOM_RUNTIMES;

const SYSTEM_BIN_DIRS: &[&str] = &["/usr/local/bin", "/usr/bin"];

fn system_program(name: &str) -> Option<PathBuf> {
    SYSTEM_BIN_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

fn node_major(node: &Path) -> Option<u32> {
    let out = Command::new(node).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// Detects the runtimes this host offers.
pub fn detect() -> Vec<String> {
    let mut out: Vec<String> = CUSTOM_RUNTIMES.iter().map(|s| s.to_string()).collect();
    for minor in 8..=14 {
        if system_program(&format!("python3.{minor}")).is_some() {
            out.push(format!("python3.{minor}"));
        }
    }
    if let Some(major) = system_program("node").as_deref().and_then(node_major) {
        out.push(format!("nodejs{major}.x"));
    }
    out
}
