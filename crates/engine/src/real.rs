//! The real backend: environments are sandboxes ([`stratus_sandbox`]) running the function's
//! unpacked code and layers, with a Runtime API served by this process.
//!
//! A cold start takes a spare shell ([`crate::shells`]), unpacks what the function mounts
//! ([`crate::packages`]), takes a `/tmp` image ([`crate::tmp_images`]) unless the shell's
//! default one fits, builds the sandbox's configuration and hands over to
//! [`crate::cold_start`]; the spare is replaced in the background afterwards.

use std::path::PathBuf;
use std::sync::Arc;

use stratus_artifacts::BlobStore;
use stratus_logs::capture::Target;
use stratus_model::FunctionVersion;
use stratus_runtime_api::RuntimeApi;
use stratus_runtimes::Launch;
use stratus_sandbox::{Sandbox, SandboxConfig};

use crate::environment::{Created, InitType};
use crate::error::{function_error, EngineError};
use crate::failure::PlatformError;
use crate::seams::Backend;
use crate::{env_vars, packages, shells, tmp_images, EngineConfig};

/// Sandboxes on this host.
#[derive(Debug)]
pub struct Real {
    config: EngineConfig,
    packages: packages::Packages,
    tmp_images: Option<Arc<tmp_images::TmpImages>>,
    shells: Arc<shells::Shells>,
}

/// How the runtime starts: argv, its own variables, the bundled runtime's directory.
type Start = (Vec<String>, Vec<(String, String)>, Option<PathBuf>);

impl Real {
    /// The backend of `config`, unpacking packages from `blobs`.
    pub(crate) fn new(config: &EngineConfig, blobs: Arc<BlobStore>) -> Self {
        let tmp_images = tmp_images::TmpImages::new(config.tmp_images_dir.clone());
        let shells = shells::Shells::new(
            config.host.clone(),
            tmp_images.clone(),
            config.spare_sandboxes,
        );
        Self {
            packages: packages::Packages::new(config.packages_dir.clone(), blobs),
            config: config.clone(),
            tmp_images,
            shells,
        }
    }

    /// The sandbox of `f` (None: a custom runtime without a bootstrap); `ready_tmp_mb` is the
    /// size of a `/tmp` the shell has mounted already, kept when it is the function's size.
    async fn sandbox_config(
        &self,
        f: &FunctionVersion,
        id: &str,
        stream: &str,
        ready_tmp_mb: Option<u32>,
        init: InitType,
        uid: u32,
    ) -> Result<Option<SandboxConfig>, EngineError> {
        let platform = |e| EngineError::platform(&f.function_name, e);
        let s = &f.settings;
        let task_root = self
            .packages
            .tree(&f.code.sha256_hex)
            .await
            .map_err(platform)?;
        let mut layers = Vec::with_capacity(s.layers.len());
        for l in &s.layers {
            layers.push(self.packages.tree(&l.sha256_hex).await.map_err(platform)?);
        }
        let Some((argv, runtime_env, runtime_dir)) = self.start(f, &task_root, &layers)? else {
            return Ok(None);
        };
        let tmp_image = match &self.tmp_images {
            _ if ready_tmp_mb == Some(s.ephemeral_storage) => None,
            Some(images) => Some(images.take(s.ephemeral_storage).await.map_err(platform)?),
            None => None,
        };
        let env = env_vars::build(
            f,
            &env_vars::EnvContext {
                region: &self.config.region,
                log_stream: stream,
                runtime_env: &runtime_env,
                init_type: init.as_str(),
            },
        );
        Ok(Some(SandboxConfig {
            id: id.to_owned(),
            task_root,
            layers,
            runtime_dir,
            tmp_size_mb: s.ephemeral_storage,
            tmp_image,
            memory_mb: s.memory_size,
            // Initialise with every CPU, as Lambda boosts init; the memory-proportional
            // share is applied once the runtime is ready.
            cpu_millis: self.config.cpus * 1000,
            pids_max: 1024,
            uid,
            gid: uid,
            argv,
            env,
            cwd: "/var/task".into(),
        }))
    }

    /// How the runtime of `f` starts (None: a custom runtime without a bootstrap).
    fn start(
        &self,
        f: &FunctionVersion,
        task_root: &std::path::Path,
        layers: &[PathBuf],
    ) -> Result<Option<Start>, EngineError> {
        let runtime = f.settings.runtime.as_deref().unwrap_or("provided.al2023");
        let launch = stratus_runtimes::launch_for(runtime)
            .map_err(|_| EngineError::Runtime(runtime.to_owned()))?;
        Ok(match launch {
            Launch::Bundled(spec) => {
                Some((spec.argv, spec.env, Some(self.config.runtime_dir.clone())))
            }
            Launch::Custom => packages::custom_bootstrap(task_root, layers)
                .map(|boot| (vec![boot.to_owned()], Vec::new(), None)),
        })
    }
}

impl Backend for Real {
    type Jail = Sandbox;
    type Runtime = RuntimeApi;

    async fn create(
        &self,
        f: &FunctionVersion,
        request_id: &str,
        id: String,
        log: Target,
        init: InitType,
        uid: crate::uids::UidLease,
    ) -> Result<Created<Self>, EngineError> {
        let platform = |e| EngineError::platform(&f.function_name, e);
        let mut shell = Unassigned {
            shells: &self.shells,
            spare: Some(self.shells.take().await.map_err(platform)?),
        };
        let ready_tmp = shell.spare.as_ref().and_then(|s| s.0.tmp_size_mb());
        let cfg = match self
            .sandbox_config(f, &id, &log.stream, ready_tmp, init, uid.uid())
            .await
        {
            Ok(Some(cfg)) => cfg,
            // `shell` goes back to the spares as it goes out of scope; nothing ran as `uid`.
            other => return other.map(|_| no_bootstrap(request_id)),
        };
        let Some(shell) = shell.spare.take() else {
            return Err(platform(PlatformError::Poisoned("spare sandbox")));
        };
        tracing::debug!(function = %f.function_name, request_id, env = %id, uid = uid.uid(), "cold start");
        let created = crate::cold_start::create(id, log, cfg, shell, &self.config.host, uid).await;
        self.shells.refill();
        let created = created.map_err(platform)?;
        if let Created::Ready(env) = &created {
            let share = crate::cpu_millis_for(f.settings.memory_size, self.config.cpus);
            if let Err(e) = env.sandbox.set_cpu_millis(share) {
                if let Created::Ready(env) = created {
                    env.destroy();
                }
                return Err(platform(PlatformError::sandbox("set cpu")(e)));
            }
        }
        Ok(created)
    }

    fn prepare_ahead(&self) {
        self.shells.refill();
    }

    fn discard_ahead(&self) {
        // Dropping a spare kills it.
        drop(self.shells.drain());
    }

    fn spares(&self) -> usize {
        self.shells.ready()
    }
}

/// A shell taken for a cold start that has not been assigned yet: if the cold start fails
/// or is dropped before assigning it, it goes back to the spares (or is killed off the
/// async workers), never dropped where it is.
struct Unassigned<'a> {
    shells: &'a Arc<shells::Shells>,
    spare: Option<shells::Spare>,
}

impl Drop for Unassigned<'_> {
    fn drop(&mut self) {
        if let Some(spare) = self.spare.take() {
            self.shells.give_back(spare);
        }
    }
}

/// A custom runtime without a bootstrap: the function's init error.
fn no_bootstrap(request_id: &str) -> Created<Real> {
    Created::InitFailed {
        error_type: "Runtime.InvalidEntrypoint".into(),
        body: function_error(
            "Runtime.InvalidEntrypoint",
            &format!("RequestId: {request_id} Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"),
        ),
        lines: Vec::new(),
    }
}
