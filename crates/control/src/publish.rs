//! PublishVersion and ListVersionsByFunction: immutable snapshots of `$LATEST`.

use stratus_model::requests::{FunctionPage, Paging, PublishVersionRequest};
use stratus_model::{
    FunctionConfiguration, FunctionRef, FunctionVersion, LambdaError, Version, Violations,
};
use stratus_store::{FunctionRow, WriteTx};

use crate::functions::{check_revision, new_revision, now_timestamp, page_marker, parse_marker};
use crate::internal::OrInternal;
use crate::{Control, Result};

impl Control {
    /// Snapshots `latest` as the next version unless the newest published version already
    /// has the same code and settings, in which case that version is returned.
    pub(crate) async fn publish_in_tx(
        &self,
        tx: &mut dyn WriteTx,
        row: &mut FunctionRow,
        latest: &mut FunctionVersion,
        description: Option<String>,
    ) -> Result<FunctionVersion> {
        if let Some(last) = tx.latest_published(&row.name).await.internal()? {
            if last.same_content(latest) {
                return Ok(last);
            }
        }
        let number = row.next_version;
        row.next_version += 1;
        let mut published = latest.clone();
        published.version = Version::Published(number);
        if let Some(d) = description {
            published.settings.description = d;
        }
        published.last_modified = now_timestamp();
        published.revision_id = new_revision();
        latest.revision_id = new_revision();
        tx.put_version(&published).await.internal()?;
        tx.put_version(latest).await.internal()?;
        tx.update_function(row).await.internal()?;
        tracing::info!(function = %row.name, version = number, "version published");
        Ok(published)
    }

    /// PublishVersion, honouring the `CodeSha256` and `RevisionId` preconditions.
    pub async fn publish_version(
        &self,
        name: &str,
        req: PublishVersionRequest,
    ) -> Result<FunctionConfiguration> {
        let name = FunctionRef::parse_unqualified(name, self.scope())?;
        if let Some(d) = &req.description {
            let mut v = Violations::default();
            v.max_len(d, "description", 256);
            v.finish()?;
        }
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            let mut row = self.function_row_tx(&mut *tx, &name).await?;
            let mut latest = self.latest_tx(&mut *tx, &name).await?;
            if let Some(sha) = req.code_sha256.as_deref().filter(|s| !s.is_empty()) {
                if sha != latest.code.sha256_b64 {
                    return Err(LambdaError::invalid(format!(
                        "CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({}). Please try again with the CodeSHA256 in $LATEST.",
                        latest.code.sha256_b64
                    )));
                }
            }
            check_revision(req.revision_id.as_deref(), &latest.revision_id, "GetFunction/GetAlias")?;
            let published = self.publish_in_tx(&mut *tx, &mut row, &mut latest, req.description.clone()).await?;
            Ok(published.configuration(self.scope()))
        }
        .await;
        self.finish(tx, out, None).await
    }

    /// ListVersionsByFunction: `$LATEST` (with its qualified ARN) then each version.
    pub async fn list_versions(
        &self,
        name: &str,
        marker: Option<String>,
        max_items: Option<i64>,
    ) -> Result<FunctionPage> {
        let name = FunctionRef::parse_unqualified(name, self.scope())?;
        self.function_row(&name).await?;
        let paging = Paging::new(marker, max_items, 10_000, 50)?;
        let cursor = paging.marker.as_deref().map(parse_marker).transpose()?;
        let mut rows = self
            .store()
            .list_versions(Some(&name), cursor.as_ref(), true, paging.max_items + 1)
            .await
            .internal()?;
        let next_marker = page_marker(&mut rows, paging.max_items);
        Ok(FunctionPage {
            functions: None,
            versions: Some(
                rows.iter()
                    .map(|v| v.configuration(self.scope()).for_listing().qualify_latest())
                    .collect(),
            ),
            next_marker,
        })
    }
}
