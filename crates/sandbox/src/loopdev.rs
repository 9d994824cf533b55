//! Loop devices: a filesystem image file becomes a block device the sandbox mounts at /tmp.
//!
//! A disk-backed /tmp, unlike a tmpfs, is not charged to the function's memory cgroup, and
//! its size is the image's. The device is configured with `LO_FLAGS_AUTOCLEAR`, so it
//! detaches by itself when the sandbox's mount (the last user) goes away; the image file can
//! be unlinked as soon as it is attached, so nothing is left on disk after a crash.

use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, OnceLock};

use crate::SandboxError;

const LOOP_CTL_GET_FREE: libc::c_ulong = 0x4C82;
const LOOP_CONFIGURE: libc::c_ulong = 0x4C0A;
const LO_FLAGS_AUTOCLEAR: u32 = 4;

/// `struct loop_info64` from linux/loop.h.
#[repr(C)]
struct LoopInfo64 {
    lo_device: u64,
    lo_inode: u64,
    lo_rdevice: u64,
    lo_offset: u64,
    lo_sizelimit: u64,
    lo_number: u32,
    lo_encrypt_type: u32,
    lo_encrypt_key_size: u32,
    lo_flags: u32,
    lo_file_name: [u8; 64],
    lo_crypt_name: [u8; 64],
    lo_encrypt_key: [u8; 32],
    lo_init: [u64; 2],
}

/// `struct loop_config` from linux/loop.h.
#[repr(C)]
struct LoopConfig {
    fd: u32,
    block_size: u32,
    info: LoopInfo64,
    reserved: [u64; 8],
}

fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> SandboxError {
    move |e| SandboxError::io(op, e)
}

/// One attach for the attacher thread: the image's open file, and where to answer.
struct Job {
    backing: std::fs::File,
    answer: mpsc::SyncSender<std::io::Result<(PathBuf, std::fs::File)>>,
}

/// The attacher thread's queue, started on first use.
static ATTACHER: OnceLock<Result<mpsc::Sender<Job>, String>> = OnceLock::new();

/// Attaches `image` to a free loop device (auto-clearing) and returns the device path and an
/// open handle. Auto-clear detaches the device at its last close while unmounted, so the
/// handle must be kept until the sandbox has mounted it.
///
/// `LOOP_CTL_GET_FREE` names a free device without reserving it: concurrent callers are all
/// handed the same one, and all but one then fail to configure it. So one thread of the
/// process (the attacher) looks up and configures every device, one after the other, each
/// in about 0.1 ms; callers hand it their image and wait. A lock held across the two calls
/// would do the same, but in a burst of cold starts (hundreds of threads on a few CPUs)
/// its holder is preempted and every waiter queues behind it in turn: 200 cold starts spent
/// 0.3 to 0.6 s each waiting there. The attacher drains its queue whenever it runs.
pub(crate) fn attach(image: &Path) -> Result<(PathBuf, std::fs::File), SandboxError> {
    let backing = OpenOptions::new()
        .read(true)
        .write(true)
        .open(image)
        .map_err(io("open tmp image"))?;
    let jobs = ATTACHER
        .get_or_init(|| start_attacher().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| {
            SandboxError::io("start the loop attacher", std::io::Error::other(e.clone()))
        })?;
    let (answer, answered) = mpsc::sync_channel(1);
    let stopped = || {
        SandboxError::io(
            "LOOP_CONFIGURE",
            std::io::Error::other("the loop attacher stopped"),
        )
    };
    jobs.send(Job { backing, answer }).map_err(|_| stopped())?;
    answered
        .recv()
        .map_err(|_| stopped())?
        .map_err(io("LOOP_CONFIGURE"))
}

fn start_attacher() -> std::io::Result<mpsc::Sender<Job>> {
    let control = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/loop-control")?;
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("stratus-loop-attach".into())
        .spawn(move || {
            for job in queue {
                let t = std::time::Instant::now();
                let attached = attach_next(&control, &job.backing);
                tracing::trace!(us = t.elapsed().as_micros() as u64, "loop device attached");
                // A caller that stopped waiting drops the device: auto-clear detaches it.
                let _ = job.answer.send(attached);
            }
        })?;
    Ok(jobs)
}

/// Looks up a free device and configures it to `backing`. Only the attacher thread calls
/// this, so no other thread of the process is handed the same free device; another process
/// of the host may take it between the two calls, which `EBUSY` tells: look up again.
fn attach_next(
    control: &std::fs::File,
    backing: &std::fs::File,
) -> std::io::Result<(PathBuf, std::fs::File)> {
    for _ in 0..16 {
        // SAFETY: LOOP_CTL_GET_FREE takes no argument and returns a device number or -1.
        let n = unsafe { libc::ioctl(control.as_raw_fd(), LOOP_CTL_GET_FREE) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let path = PathBuf::from(format!("/dev/loop{n}"));
        let dev = OpenOptions::new().read(true).write(true).open(&path)?;
        match configure(&dev, backing) {
            Ok(()) => return Ok((path, dev)),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free loop device after 16 tries"))
}

/// Binds `backing` to the loop device `dev`, auto-clearing.
fn configure(dev: &std::fs::File, backing: &std::fs::File) -> std::io::Result<()> {
    let config = LoopConfig {
        fd: backing.as_raw_fd() as u32,
        block_size: 0,
        info: LoopInfo64 {
            lo_device: 0,
            lo_inode: 0,
            lo_rdevice: 0,
            lo_offset: 0,
            lo_sizelimit: 0,
            lo_number: 0,
            lo_encrypt_type: 0,
            lo_encrypt_key_size: 0,
            lo_flags: LO_FLAGS_AUTOCLEAR,
            lo_file_name: [0; 64],
            lo_crypt_name: [0; 64],
            lo_encrypt_key: [0; 32],
            lo_init: [0; 2],
        },
        reserved: [0; 8],
    };
    // SAFETY: LOOP_CONFIGURE reads one `struct loop_config`, which `config` is, laid out as
    // the kernel's (repr(C), same field order and sizes); it lives across the call.
    let r = unsafe {
        libc::ioctl(
            dev.as_raw_fd(),
            LOOP_CONFIGURE,
            &config as *const LoopConfig,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of attaches from many threads at once: every one gets its own device (when
    /// each caller looked up and configured a device itself, concurrent callers were handed
    /// the same free device and ran out of tries). Needs root and loop devices; skipped
    /// without.
    #[test]
    fn concurrent_attaches_each_get_a_device() {
        #![allow(clippy::unwrap_used)]
        if OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/loop-control")
            .is_err()
        {
            eprintln!("skipped: /dev/loop-control is not available");
            return;
        }
        const THREADS: usize = 64;
        let dir = tempfile::tempdir().unwrap();
        let images: Vec<PathBuf> = (0..THREADS)
            .map(|i| {
                let p = dir.path().join(format!("img{i}"));
                std::fs::File::create(&p).unwrap().set_len(1 << 20).unwrap();
                p
            })
            .collect();
        let barrier = std::sync::Barrier::new(THREADS);
        let attached: Vec<(PathBuf, std::fs::File)> = std::thread::scope(|scope| {
            let handles: Vec<_> = images
                .iter()
                .map(|image| {
                    let barrier = &barrier;
                    scope.spawn(move || {
                        barrier.wait();
                        attach(image)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap())
                .collect()
        });
        let mut paths: Vec<&PathBuf> = attached.iter().map(|(p, _)| p).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), THREADS, "devices were shared: {paths:?}");
        // Dropping the handles detaches the devices (auto-clear, nothing mounted).
    }

    #[test]
    fn layouts_match_the_kernel() {
        assert_eq!(std::mem::size_of::<LoopInfo64>(), 232);
        assert_eq!(std::mem::size_of::<LoopConfig>(), 304);
    }
}
