//! Features this server does not offer yet, answered as Lambda answers for a function that
//! has none of them (code signing, runtime pinning, recursion control, resource policies,
//! function URLs). Clients such as the Terraform provider read
//! these on every refresh.

use serde_json::{json, Value};
use stratus_model::{FunctionRef, LambdaError};

use crate::{Control, Result};

impl Control {
    /// GetFunctionCodeSigningConfig: no config attached.
    pub async fn code_signing_config(&self, function: &str) -> Result<Value> {
        let cfg = self.get_configuration(function, None).await?;
        Ok(json!({ "CodeSigningConfigArn": "", "FunctionName": cfg.function_name }))
    }

    /// GetRuntimeManagementConfig: runtime updates are automatic.
    pub async fn runtime_management_config(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<Value> {
        let cfg = self.get_configuration(function, qualifier).await?;
        Ok(json!({ "UpdateRuntimeOn": "Auto", "FunctionArn": cfg.function_arn }))
    }

    /// GetFunctionRecursionConfig: recursive loops are terminated (the default).
    pub async fn recursion_config(&self, function: &str) -> Result<Value> {
        self.get_configuration(function, None).await?;
        Ok(json!({ "RecursiveLoop": "Terminate" }))
    }

    /// GetPolicy: no resource policy.
    pub async fn policy(&self, function: &str, qualifier: Option<&str>) -> Result<Value> {
        self.get_configuration(function, qualifier).await?;
        Err(LambdaError::not_found(
            "The resource you requested does not exist.",
        ))
    }

    /// GetFunctionUrlConfig: no URL.
    pub async fn function_url_config(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<Value> {
        self.get_configuration(function, qualifier).await?;
        Err(LambdaError::not_found(
            "The resource you requested does not exist.",
        ))
    }

    /// ListFunctionUrlConfigs: none.
    pub async fn function_url_configs(&self, function: &str) -> Result<Value> {
        FunctionRef::parse_unqualified(function, self.scope())?;
        self.get_configuration(function, None).await?;
        Ok(json!({ "FunctionUrlConfigs": [] }))
    }
}
