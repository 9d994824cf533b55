//! Messages from the server to a shell's init, on its control pipe.
//!
//! Two, in this order: the base plan (`Vec<Op>`, sent when the shell is spawned: init
//! assembles the function-independent part of the root while it waits), then the
//! [`Order`] (sent when the shell is assigned to a function, [`crate::Shell::assign`]).
//! Framing: a little-endian `u32` length, then that many bytes of JSON. Both ends are the
//! same binary (the server re-executes itself as init), so the format needs no versioning.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::plan::Op;
use crate::SandboxError;

/// Largest order accepted (argv and environment included); Lambda's environment limit is
/// 4 KB, paths are short, so this is generous.
pub(crate) const MAX_ORDER_BYTES: usize = 4 << 20;

/// What init needs to finish the root and exec the runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Order {
    /// The function's setup operations, after the base plan's.
    pub ops: Vec<Op>,
    /// Program and arguments.
    pub argv: Vec<String>,
    /// The complete environment.
    pub env: Vec<(String, String)>,
    /// Working directory inside the sandbox.
    pub cwd: String,
    /// Unprivileged ids the runtime (and, after setup, init) runs as.
    pub uid: u32,
    pub gid: u32,
}

/// Length-prefixed JSON, for one `write_all`.
pub(crate) fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, SandboxError> {
    let mut buf = vec![0u8; 4];
    serde_json::to_writer(&mut buf, msg)
        .map_err(|e| SandboxError::InvalidConfig(format!("encoding a sandbox message: {e}")))?;
    let len = u32::try_from(buf.len() - 4)
        .ok()
        .filter(|&n| n as usize <= MAX_ORDER_BYTES)
        .ok_or_else(|| SandboxError::InvalidConfig("sandbox order too large".into()))?;
    buf[..4].copy_from_slice(&len.to_le_bytes());
    Ok(buf)
}

/// Sends one message.
pub(crate) fn send<T: Serialize>(mut w: impl Write, msg: &T) -> Result<(), SandboxError> {
    w.write_all(&encode(msg)?)
        .map_err(|e| SandboxError::io("send order to sandbox init", e))
}

/// Reads one message; `Ok(None)` when the pipe closed before any byte of it arrived (the
/// shell was discarded unused).
pub(crate) fn receive<T: for<'de> Deserialize<'de>>(
    mut r: impl Read,
) -> std::io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_ORDER_BYTES {
        return Err(std::io::Error::other("sandbox order too large"));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        Order {
            ops: vec![
                Op::UnshareCgroupNs,
                Op::Mkdir {
                    path: c"/run/root/var/task".into(),
                    mode: 0o755,
                },
                Op::Mount {
                    source: Some(c"/srv/code".into()),
                    target: c"/run/root/var/task".into(),
                    fstype: None,
                    flags: libc::MS_BIND | libc::MS_REC,
                    data: None,
                },
                Op::LoopbackUp,
            ],
            argv: vec!["/var/task/bootstrap".into(), "x y".into()],
            env: vec![("A".into(), "1=2 \u{e9}".into())],
            cwd: "/var/task".into(),
            uid: 993,
            gid: 994,
        }
    }

    #[test]
    fn round_trips_through_a_pipe_frame() {
        let o = order();
        let bytes = encode(&o).expect("encode");
        assert_eq!(
            u32::from_le_bytes(bytes[..4].try_into().expect("4")) as usize,
            bytes.len() - 4
        );
        let got: Order = receive(&bytes[..]).expect("receive").expect("some");
        assert_eq!(got, o);
        let mut two = encode(&o.ops).expect("encode ops");
        two.extend(&bytes);
        let mut r = &two[..];
        let ops: Vec<Op> = receive(&mut r).expect("ops").expect("some");
        assert_eq!(ops, o.ops);
        let again: Order = receive(&mut r).expect("order").expect("some");
        assert_eq!(again, o);
    }

    #[test]
    fn closed_pipe_is_none_and_truncation_is_an_error() {
        assert!(receive::<Order>(&[][..]).expect("eof").is_none());
        let bytes = encode(&order()).expect("encode");
        assert!(receive::<Order>(&bytes[..bytes.len() - 1]).is_err());
        let huge = ((MAX_ORDER_BYTES + 1) as u32).to_le_bytes();
        assert!(receive::<Order>(&huge[..]).is_err());
    }
}
