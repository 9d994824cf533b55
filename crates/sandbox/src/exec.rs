//! What the runtime child execs: candidate paths, argv and envp, prepared before clone.

use std::ffi::CString;

use crate::plan::cstring;
use crate::SandboxError;

const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// argv/envp as NUL-terminated pointer arrays. The pointers point into the `CString`s owned
/// by the same struct, so the struct must stay alive (and unmoved in its heap parts) while
/// the pointers are used; the child gets a copy of the whole address space.
pub(crate) struct ExecSpec {
    pub candidates: Vec<CString>,
    pub cwd: CString,
    _argv: Vec<CString>,
    _env: Vec<CString>,
    pub argv_ptrs: Vec<*const libc::c_char>,
    pub env_ptrs: Vec<*const libc::c_char>,
}

/// Where to look for `program`, `execvp`-style, using the `PATH` of the sandbox env.
pub(crate) fn candidates(program: &str, env: &[(String, String)]) -> Vec<String> {
    if program.contains('/') {
        return vec![program.to_string()];
    }
    let path = env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_str())
        .unwrap_or(DEFAULT_PATH);
    path.split(':')
        .filter(|d| !d.is_empty())
        .map(|d| format!("{}/{}", d.trim_end_matches('/'), program))
        .collect()
}

impl ExecSpec {
    pub(crate) fn new(
        argv: &[String],
        env: &[(String, String)],
        cwd: &str,
    ) -> Result<ExecSpec, SandboxError> {
        let program = argv
            .first()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| SandboxError::InvalidConfig("argv is empty".into()))?;
        let candidates = candidates(program, env)
            .into_iter()
            .map(|c| cstring(c.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        if candidates.is_empty() {
            return Err(SandboxError::InvalidConfig(format!(
                "{program} not resolvable: PATH is empty"
            )));
        }
        let argv_c = argv
            .iter()
            .map(|a| cstring(a.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut env_c = Vec::with_capacity(env.len());
        for (k, v) in env {
            if k.is_empty() || k.contains('=') {
                return Err(SandboxError::InvalidConfig(format!(
                    "invalid environment variable name {k:?}"
                )));
            }
            env_c.push(cstring(format!("{k}={v}").as_bytes())?);
        }
        let mut argv_ptrs: Vec<_> = argv_c.iter().map(|c| c.as_ptr()).collect();
        argv_ptrs.push(std::ptr::null());
        let mut env_ptrs: Vec<_> = env_c.iter().map(|c| c.as_ptr()).collect();
        env_ptrs.push(std::ptr::null());
        Ok(ExecSpec {
            candidates,
            cwd: cstring(cwd.as_bytes())?,
            _argv: argv_c,
            _env: env_c,
            argv_ptrs,
            env_ptrs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_execvp() {
        let env = vec![("PATH".to_string(), "/opt/bin::/usr/bin/".to_string())];
        assert_eq!(
            candidates("/var/task/bootstrap", &env),
            vec!["/var/task/bootstrap"]
        );
        assert_eq!(candidates("./x", &env), vec!["./x"]);
        assert_eq!(candidates("sh", &env), vec!["/opt/bin/sh", "/usr/bin/sh"]);
        assert_eq!(
            candidates("sh", &[]),
            vec!["/usr/local/bin/sh", "/usr/bin/sh", "/bin/sh"]
        );
    }

    #[test]
    fn builds_null_terminated_arrays() {
        let spec = ExecSpec::new(
            &["sh".into(), "-c".into(), "true".into()],
            &[("A".into(), "1".into())],
            "/var/task",
        )
        .expect("spec");
        assert_eq!(spec.argv_ptrs.len(), 4);
        assert!(spec.argv_ptrs[3].is_null());
        assert_eq!(spec.env_ptrs.len(), 2);
        assert!(spec.env_ptrs[1].is_null());
        assert!(ExecSpec::new(&[], &[], "/").is_err());
        assert!(ExecSpec::new(&["a".into()], &[("A=B".into(), "1".into())], "/").is_err());
    }
}
