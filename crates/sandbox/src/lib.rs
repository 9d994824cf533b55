//! One execution environment: namespaces, read-only root, cgroups (v1 and v2), seccomp, uid drop, freeze/thaw, stats, kill
