//! Put, Update, Get, Delete and ListFunctionEventInvokeConfig(s): async settings per qualifier.

use stratus_model::invoke_config::{
    EventInvokeConfig, EventInvokeConfigPage, EventInvokeRecord, EventInvokeSettings,
};
use stratus_model::requests::Paging;
use stratus_model::{time, FunctionRef, LambdaError, Qualifier, Version};
use stratus_store::WriteTx;

use crate::internal::OrInternal;
use crate::{Control, Result};

impl Control {
    /// The function name and qualifier label the config belongs to, checked to exist.
    async fn invoke_config_target(
        &self,
        tx: &mut dyn WriteTx,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<(String, String)> {
        let r = FunctionRef::parse(function, qualifier, self.scope())?;
        self.function_row_tx(tx, &r.name).await?;
        let exists = match &r.qualifier {
            None | Some(Qualifier::Latest) => true,
            Some(Qualifier::Version(n)) => tx
                .version(&r.name, Version::Published(*n))
                .await
                .internal()?
                .is_some(),
            Some(Qualifier::Alias(a)) => tx.alias(&r.name, a).await.internal()?.is_some(),
        };
        if !exists {
            return Err(self.function_not_found(&r.name, r.qualifier.as_ref()));
        }
        let label = r
            .qualifier
            .map_or_else(|| "$LATEST".to_owned(), |q| q.to_string());
        Ok((r.name, label))
    }

    fn invoke_config_wire(
        &self,
        name: &str,
        qualifier: &str,
        record: EventInvokeRecord,
    ) -> EventInvokeConfig {
        EventInvokeConfig {
            last_modified: record.last_modified,
            function_arn: self.scope().qualified_arn(name, qualifier),
            settings: record.settings,
        }
    }

    /// Put (replace) or Update (merge) the config of one qualifier.
    pub async fn put_invoke_config(
        &self,
        function: &str,
        qualifier: Option<&str>,
        settings: EventInvokeSettings,
        merge: bool,
    ) -> Result<EventInvokeConfig> {
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            let (name, label) = self
                .invoke_config_target(&mut *tx, function, qualifier)
                .await?;
            settings.validate(&name, self.scope())?;
            let settings = match (
                merge,
                tx.event_invoke_config(&name, &label).await.internal()?,
            ) {
                (true, Some(mut old)) => {
                    old.settings.merge(settings);
                    old.settings
                }
                _ => settings,
            };
            let record = EventInvokeRecord {
                settings,
                last_modified: time::epoch_seconds(chrono::Utc::now()),
            };
            tx.put_event_invoke_config(&name, &label, &record)
                .await
                .internal()?;
            Ok(self.invoke_config_wire(&name, &label, record))
        }
        .await;
        self.finish(tx, out, None).await
    }

    fn no_invoke_config(&self, name: &str, label: &str) -> LambdaError {
        LambdaError::not_found(format!(
            "The function {} doesn't have an EventInvokeConfig",
            self.scope().qualified_arn(name, label)
        ))
    }

    /// GetFunctionEventInvokeConfig.
    pub async fn get_invoke_config(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<EventInvokeConfig> {
        let r = FunctionRef::parse(function, qualifier, self.scope())?;
        self.function_row(&r.name).await?;
        let label = r
            .qualifier
            .map_or_else(|| "$LATEST".to_owned(), |q| q.to_string());
        let record = self
            .store()
            .event_invoke_config(&r.name, &label)
            .await
            .internal()?
            .ok_or_else(|| self.no_invoke_config(&r.name, &label))?;
        Ok(self.invoke_config_wire(&r.name, &label, record))
    }

    /// DeleteFunctionEventInvokeConfig.
    pub async fn delete_invoke_config(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            let r = FunctionRef::parse(function, qualifier, self.scope())?;
            self.function_row_tx(&mut *tx, &r.name).await?;
            let label = r
                .qualifier
                .map_or_else(|| "$LATEST".to_owned(), |q| q.to_string());
            if !tx
                .delete_event_invoke_config(&r.name, &label)
                .await
                .internal()?
            {
                return Err(self.no_invoke_config(&r.name, &label));
            }
            Ok(())
        }
        .await;
        self.finish(tx, out, None).await
    }

    /// ListFunctionEventInvokeConfigs.
    pub async fn list_invoke_configs(
        &self,
        function: &str,
        marker: Option<String>,
        max_items: Option<i64>,
    ) -> Result<EventInvokeConfigPage> {
        let name = FunctionRef::parse_unqualified(function, self.scope())?;
        self.function_row(&name).await?;
        let paging = Paging::new(marker, max_items, 50, 50)?;
        let mut all: Vec<(String, EventInvokeRecord)> = self
            .store()
            .event_invoke_configs(&name)
            .await
            .internal()?
            .into_iter()
            .filter(|(q, _)| paging.marker.as_ref().is_none_or(|m| q > m))
            .collect();
        let next_marker = (all.len() > paging.max_items).then(|| {
            all.truncate(paging.max_items);
            all.last().map(|(q, _)| q.clone()).unwrap_or_default()
        });
        Ok(EventInvokeConfigPage {
            function_event_invoke_configs: all
                .into_iter()
                .map(|(q, r)| self.invoke_config_wire(&name, &q, r))
                .collect(),
            next_marker,
        })
    }
}
