//! Wiring provisioned concurrency between the control plane and the engine.
//!
//! Control calls [`EngineProvisioning::changed`] after a committed change; the function's
//! name is queued, and one task reads the committed configs of each queued function and
//! hands them to the engine in order, so the engine always ends with the latest state. At
//! start-up every function with a stored config is queued: provisioned concurrency comes
//! back after a restart.

use std::sync::Arc;

use stratus_control::{Control, Provisioning};
use stratus_engine::Engine;
use stratus_model::provisioned::ProvisionedState;
use tokio::sync::mpsc;

/// Control's view of the engine's provisioning.
struct EngineProvisioning {
    engine: Engine,
    queue: mpsc::UnboundedSender<String>,
}

impl Provisioning for EngineProvisioning {
    fn changed(&self, function: &str) {
        if self.queue.send(function.to_owned()).is_err() {
            tracing::warn!(function, "provisioning task gone; change not applied");
        }
    }

    fn state(&self, function: &str, qualifier: &str) -> Option<ProvisionedState> {
        self.engine.provisioned_state(function, qualifier)
    }
}

/// Connects `control` to `engine` and queues every stored config (call inside the runtime).
pub async fn wire(control: &Control, engine: &Engine) -> anyhow::Result<()> {
    let (queue, mut changes) = mpsc::unbounded_channel::<String>();
    control.on_provisioning(Arc::new(EngineProvisioning {
        engine: engine.clone(),
        queue: queue.clone(),
    }));
    let (control_, engine_) = (control.clone(), engine.clone());
    tokio::spawn(async move {
        while let Some(function) = changes.recv().await {
            match control_.provisioned_specs(&function).await {
                Ok(specs) => engine_.set_provisioned(&function, specs),
                Err(e) => {
                    tracing::error!(function, error = %e, "cannot read provisioned concurrency configs")
                }
            }
        }
    });
    let functions = control
        .provisioned_functions()
        .await
        .map_err(|e| anyhow::anyhow!("reading provisioned concurrency configs: {e}"))?;
    if !functions.is_empty() {
        tracing::info!(functions = functions.len(), "provisioning stored configs");
    }
    for f in functions {
        let _ = queue.send(f);
    }
    Ok(())
}
