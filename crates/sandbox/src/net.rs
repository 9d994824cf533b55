//! The sandbox network namespace: loopback up, host-side listeners bound inside it.

use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd;

use nix::errno::Errno;
use nix::sched::CloneFlags;

use crate::SandboxError;

/// Sets `lo` UP in the calling thread's network namespace. Async-signal-safe: no
/// allocation, only `socket`, `ioctl` and `close`.
pub(crate) fn loopback_up() -> Result<(), Errno> {
    // SAFETY: plain socket(2); the fd is closed below on every path.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS read/write an ifreq we own; the union member
    // `ifru_flags` is the one these requests use.
    let res = unsafe {
        if libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut ifr) < 0 {
            Err(Errno::last())
        } else {
            ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            if libc::ioctl(fd, libc::SIOCSIFFLAGS, &ifr) < 0 {
                Err(Errno::last())
            } else {
                Ok(())
            }
        }
    };
    // SAFETY: fd is ours and still open.
    unsafe { libc::close(fd) };
    res
}

/// Binds a TCP listener on `addr` inside the network namespace of `pid`: a short-lived
/// helper thread joins the namespace, makes sure `lo` is up, binds and exits.
pub(crate) fn bind_in_netns(pid: i32, addr: SocketAddr) -> Result<TcpListener, SandboxError> {
    let ns = std::fs::File::open(format!("/proc/{pid}/ns/net"))
        .map_err(|e| SandboxError::io("open netns", e))?;
    std::thread::scope(|s| {
        s.spawn(|| {
            nix::sched::setns(ns.as_fd(), CloneFlags::CLONE_NEWNET)
                .map_err(|e| SandboxError::io("setns net", e.into()))?;
            loopback_up().map_err(|e| SandboxError::io("loopback up", e.into()))?;
            let l = TcpListener::bind(addr).map_err(|e| SandboxError::io("bind", e))?;
            l.set_nonblocking(true)
                .map_err(|e| SandboxError::io("set_nonblocking", e))?;
            Ok(l)
        })
        .join()
        .unwrap_or_else(|_| {
            Err(SandboxError::io(
                "bind thread",
                std::io::Error::other("helper thread panicked"),
            ))
        })
    })
}
