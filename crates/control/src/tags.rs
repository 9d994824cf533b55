//! TagResource, UntagResource and ListTags on function ARNs.

use std::collections::BTreeMap;

use stratus_model::requests::{validate_tags, MAX_TAGS};
use stratus_model::{FunctionRef, LambdaError, Violations};

use crate::internal::OrInternal;
use crate::{Control, Result};

impl Control {
    /// The function a taggable ARN names; versions and aliases cannot be tagged.
    fn tagged_function(&self, arn: &str) -> Result<String> {
        if !arn.starts_with("arn:") {
            let mut v = Violations::default();
            v.pattern(
                arn,
                "resource",
                false,
                r"arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:[a-zA-Z0-9-_]+|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
            );
            v.finish()?;
        }
        let r = FunctionRef::parse(arn, None, self.scope())?;
        if r.qualifier.is_some() {
            return Err(LambdaError::invalid(
                "Tags on function aliases and versions are not supported. Please specify a function ARN.",
            ));
        }
        Ok(r.name)
    }

    /// ListTags.
    pub async fn list_tags(&self, arn: &str) -> Result<BTreeMap<String, String>> {
        let name = self.tagged_function(arn)?;
        Ok(self.function_row(&name).await?.tags)
    }

    /// TagResource: adds or overwrites tags.
    pub async fn tag_resource(&self, arn: &str, tags: BTreeMap<String, String>) -> Result<()> {
        let name = self.tagged_function(arn)?;
        validate_tags(&tags)?;
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            let mut row = self.function_row_tx(&mut *tx, &name).await?;
            row.tags.extend(tags);
            if row.tags.len() > MAX_TAGS {
                return Err(LambdaError::invalid(format!(
                    "A function may have at most {MAX_TAGS} tags; this request would leave {}",
                    row.tags.len()
                )));
            }
            tx.update_function(&row).await.internal()
        }
        .await;
        self.finish(tx, out, None).await
    }

    /// UntagResource: removes the named keys (absent keys are ignored).
    pub async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<()> {
        let name = self.tagged_function(arn)?;
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            let mut row = self.function_row_tx(&mut *tx, &name).await?;
            for k in keys {
                row.tags.remove(k);
            }
            tx.update_function(&row).await.internal()
        }
        .await;
        self.finish(tx, out, None).await
    }
}
