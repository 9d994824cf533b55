//! The seccomp filters installed on the runtime (and the reaper), compiled once per process.
//!
//! A denylist: the listed syscalls fail with EPERM, everything else is allowed. `clone` is
//! denied only when it asks for a new namespace. `clone3` passes its flags in memory that
//! BPF cannot read, so it fails with ENOSYS, which makes libc fall back to `clone`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

use crate::SandboxError;

/// The compiled programs, installed in this order.
pub(crate) struct Programs {
    pub filters: Vec<BpfProgram>,
}

#[cfg(target_arch = "x86_64")]
const ARCH: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: TargetArch = TargetArch::aarch64;

/// Syscalls that fail with EPERM inside the sandbox.
pub(crate) fn denied_syscalls() -> Vec<(i64, &'static str)> {
    let mut v: Vec<(i64, &'static str)> = vec![
        (libc::SYS_mount, "mount"),
        (libc::SYS_umount2, "umount2"),
        (libc::SYS_pivot_root, "pivot_root"),
        (libc::SYS_chroot, "chroot"),
        (libc::SYS_unshare, "unshare"),
        (libc::SYS_setns, "setns"),
        (libc::SYS_open_tree, "open_tree"),
        (libc::SYS_move_mount, "move_mount"),
        (libc::SYS_fsopen, "fsopen"),
        (libc::SYS_fsconfig, "fsconfig"),
        (libc::SYS_fsmount, "fsmount"),
        (libc::SYS_fspick, "fspick"),
        (libc::SYS_mount_setattr, "mount_setattr"),
        (libc::SYS_kexec_load, "kexec_load"),
        (libc::SYS_kexec_file_load, "kexec_file_load"),
        (libc::SYS_init_module, "init_module"),
        (libc::SYS_finit_module, "finit_module"),
        (libc::SYS_delete_module, "delete_module"),
        (libc::SYS_bpf, "bpf"),
        (libc::SYS_perf_event_open, "perf_event_open"),
        (libc::SYS_ptrace, "ptrace"),
        (libc::SYS_process_vm_readv, "process_vm_readv"),
        (libc::SYS_process_vm_writev, "process_vm_writev"),
        (libc::SYS_keyctl, "keyctl"),
        (libc::SYS_add_key, "add_key"),
        (libc::SYS_request_key, "request_key"),
        (libc::SYS_open_by_handle_at, "open_by_handle_at"),
        (libc::SYS_name_to_handle_at, "name_to_handle_at"),
        (libc::SYS_reboot, "reboot"),
        (libc::SYS_swapon, "swapon"),
        (libc::SYS_swapoff, "swapoff"),
        (libc::SYS_syslog, "syslog"),
        (libc::SYS_userfaultfd, "userfaultfd"),
        (libc::SYS_acct, "acct"),
        (libc::SYS_settimeofday, "settimeofday"),
        (libc::SYS_clock_settime, "clock_settime"),
        (libc::SYS_clock_adjtime, "clock_adjtime"),
        (libc::SYS_adjtimex, "adjtimex"),
        (libc::SYS_quotactl, "quotactl"),
        (libc::SYS_sethostname, "sethostname"),
        (libc::SYS_setdomainname, "setdomainname"),
        (libc::SYS_io_uring_setup, "io_uring_setup"),
        (libc::SYS_io_uring_enter, "io_uring_enter"),
        (libc::SYS_io_uring_register, "io_uring_register"),
        (libc::SYS_pidfd_getfd, "pidfd_getfd"),
    ];
    #[cfg(target_arch = "x86_64")]
    v.extend([
        (libc::SYS_iopl, "iopl"),
        (libc::SYS_ioperm, "ioperm"),
        (libc::SYS_lookup_dcookie, "lookup_dcookie"),
        (libc::SYS_uselib, "uselib"),
    ]);
    #[cfg(target_arch = "aarch64")]
    v.push((libc::SYS_lookup_dcookie, "lookup_dcookie"));
    v
}

/// `clone` flags that create namespaces (`CLONE_NEWTIME` shares its bit with the exit
/// signal in `clone`, so it only exists for `clone3`/`unshare`, both denied).
pub(crate) const NAMESPACE_FLAGS: &[u64] = &[
    libc::CLONE_NEWNS as u64,
    libc::CLONE_NEWCGROUP as u64,
    libc::CLONE_NEWUTS as u64,
    libc::CLONE_NEWIPC as u64,
    libc::CLONE_NEWUSER as u64,
    libc::CLONE_NEWPID as u64,
    libc::CLONE_NEWNET as u64,
];

fn build() -> Result<Programs, seccompiler::BackendError> {
    let mut deny: BTreeMap<i64, Vec<SeccompRule>> = denied_syscalls()
        .into_iter()
        .map(|(nr, _)| (nr, Vec::new()))
        .collect();
    // clone: any namespace flag set in arg 0 -> EPERM (rules are OR-ed).
    let mut clone_rules = Vec::new();
    for flag in NAMESPACE_FLAGS {
        clone_rules.push(SeccompRule::new(vec![SeccompCondition::new(
            0,
            SeccompCmpArgLen::Qword,
            SeccompCmpOp::MaskedEq(*flag),
            *flag,
        )?])?);
    }
    deny.insert(libc::SYS_clone, clone_rules);
    let denylist = SeccompFilter::new(
        deny,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        ARCH,
    )?;
    let clone3 = SeccompFilter::new(
        [(libc::SYS_clone3, Vec::new())].into_iter().collect(),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        ARCH,
    )?;
    #[allow(unused_mut)]
    let mut filters = vec![
        BpfProgram::try_from(denylist)?,
        BpfProgram::try_from(clone3)?,
    ];
    #[cfg(target_arch = "x86_64")]
    filters.push(x32_filter());
    Ok(Programs { filters })
}

/// x32 syscalls (nr | 0x4000_0000) share the x86_64 audit arch and would bypass the
/// per-number rules above: refuse all of them.
#[cfg(target_arch = "x86_64")]
fn x32_filter() -> BpfProgram {
    use seccompiler::sock_filter;
    const BPF_LD_W_ABS: u16 = 0x20;
    const BPF_JMP_JGE_K: u16 = 0x35;
    const BPF_RET_K: u16 = 0x06;
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    vec![
        // A = seccomp_data.nr
        sock_filter {
            code: BPF_LD_W_ABS,
            jt: 0,
            jf: 0,
            k: 0,
        },
        // if A >= X32_SYSCALL_BIT goto deny else goto allow
        sock_filter {
            code: BPF_JMP_JGE_K,
            jt: 1,
            jf: 0,
            k: 0x4000_0000,
        },
        sock_filter {
            code: BPF_RET_K,
            jt: 0,
            jf: 0,
            k: SECCOMP_RET_ALLOW,
        },
        sock_filter {
            code: BPF_RET_K,
            jt: 0,
            jf: 0,
            k: SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        },
    ]
}

/// The programs, compiled on first use.
pub(crate) fn programs() -> Result<&'static Programs, SandboxError> {
    static PROGRAMS: OnceLock<Result<Programs, String>> = OnceLock::new();
    PROGRAMS
        .get_or_init(|| build().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| SandboxError::Seccomp(e.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_and_lists_the_dangerous_calls() {
        let p = programs().expect("programs");
        assert!(p.filters.len() >= 2);
        assert!(p.filters.iter().all(|f| !f.is_empty() && f.len() < 4096));
        let names: Vec<_> = denied_syscalls().into_iter().map(|(_, n)| n).collect();
        for n in [
            "mount",
            "unshare",
            "setns",
            "ptrace",
            "bpf",
            "kexec_load",
            "keyctl",
        ] {
            assert!(names.contains(&n), "{n}");
        }
    }
}
