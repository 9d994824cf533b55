//! What the engine keeps warm: every stored provisioned concurrency config of a function
//! resolved to the versions that run (an alias's count split by its routing weight).

use stratus_model::provisioned::{split_by_weight, ProvisionSpec};
use stratus_model::Version;

use crate::internal::OrInternal;
use crate::{Control, Result};

impl Control {
    /// What the engine should keep warm for `function` now (every config resolved to the
    /// versions that run; an alias's count split by its routing weight).
    pub async fn provisioned_specs(&self, function: &str) -> Result<Vec<ProvisionSpec>> {
        let store = self.store();
        let mut specs = Vec::new();
        for (f, label, record) in store.provisioned_configs(Some(function)).await.internal()? {
            let requested = usize::try_from(record.requested).unwrap_or(0);
            let mut wanted: Vec<(String, usize)> = Vec::new();
            match store.alias(&f, &label).await.internal()? {
                Some(alias) => {
                    let extra = alias
                        .routing_config
                        .as_ref()
                        .and_then(|rc| rc.additional_version_weights.iter().next());
                    let (primary, extra) = match extra {
                        Some((v, w)) => {
                            let (p, e) = split_by_weight(requested, *w);
                            (p, Some((v.clone(), e)))
                        }
                        None => (requested, None),
                    };
                    wanted.push((alias.function_version.clone(), primary));
                    wanted.extend(extra);
                }
                None => wanted.push((label.clone(), requested)),
            }
            let mut versions = Vec::new();
            for (v, count) in wanted.into_iter().filter(|(_, c)| *c > 0) {
                let Ok(version) = Version::try_from(v) else {
                    continue;
                };
                if let Some(record) = store.version(&f, version).await.internal()? {
                    versions.push((std::sync::Arc::new(record), count));
                }
            }
            specs.push(ProvisionSpec {
                qualifier: label,
                last_modified: record.last_modified,
                versions,
            });
        }
        Ok(specs)
    }

    /// Functions with any provisioned concurrency config (provisioned again at start-up).
    pub async fn provisioned_functions(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .store()
            .provisioned_configs(None)
            .await
            .internal()?
            .into_iter()
            .map(|(f, _, _)| f)
            .collect();
        names.dedup();
        Ok(names)
    }
}
