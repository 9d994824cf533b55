//! Rows as the previous release wrote them (record = the model's wire-shaped JSON, no "v"),
//! captured from that release's serialisation, and the domain values they hold.

#![allow(dead_code)] // each test file uses its own part

use std::collections::BTreeMap;

use stratus_model::alias::{AliasRecord, RoutingConfig};
use stratus_model::function::{
    AttachedLayer, CodeRef, FunctionSettings, FunctionVersion, LoggingConfig, Version, VpcConfig,
};
use stratus_model::invoke_config::{
    Destination, DestinationConfig, EventInvokeRecord, EventInvokeSettings,
};
use stratus_model::layer::LayerVersionRecord;

/// A published version with every setting set, as the previous release stored it.
pub const FUNCTION_FULL: &str = r#"{"FunctionName":"full","Version":"3","Settings":{"Runtime":"python3.12","Role":"arn:aws:iam::123456789012:role/r","Handler":"app.handler","Description":"d \"q\" é","Timeout":42,"MemorySize":256,"Environment":{"EXTRA":"x","STAGE":"two"},"Layers":[{"Arn":"arn:aws:lambda:us-east-1:123456789012:layer:b:2","CodeSize":11,"UnzippedSize":22,"Sha256Hex":"bb"},{"Arn":"arn:aws:lambda:us-east-1:123456789012:layer:a:1","CodeSize":33,"UnzippedSize":44,"Sha256Hex":"aa"}],"Architectures":["arm64"],"EphemeralStorage":1024,"TracingMode":"Active","DeadLetterTarget":"arn:aws:sqs:us-east-1:123456789012:dlq","KmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/k","Vpc":{"SubnetIds":["subnet-1"],"SecurityGroupIds":["sg-1","sg-2"],"Ipv6AllowedForDualStack":true},"Logging":{"LogFormat":"JSON","ApplicationLogLevel":"DEBUG","SystemLogLevel":"WARN","LogGroup":"/custom/group"}},"Code":{"Sha256Hex":"cc","Sha256B64":"zA==","Size":1234,"UnzippedSize":5678},"LastModified":"2026-01-02T03:04:05.678+0000","RevisionId":"0b8f1c2e-1111-2222-3333-444455556666"}"#;

/// `$LATEST` with CreateFunction's defaults.
pub const FUNCTION_MINIMAL: &str = r#"{"FunctionName":"min","Version":"$LATEST","Settings":{"Runtime":null,"Role":"","Handler":null,"Description":"","Timeout":3,"MemorySize":128,"Environment":null,"Layers":[],"Architectures":["x86_64"],"EphemeralStorage":512,"TracingMode":"PassThrough","DeadLetterTarget":null,"KmsKeyArn":null,"Vpc":null,"Logging":{"LogFormat":"Text","LogGroup":"/aws/lambda/min"}},"Code":{"Sha256Hex":"dd","Sha256B64":"3Q==","Size":1,"UnzippedSize":2},"LastModified":"2026-01-02T03:04:05.000+0000","RevisionId":"r-min"}"#;

/// An alias with weighted routing.
pub const ALIAS_WEIGHTED: &str = r#"{"Name":"live","FunctionVersion":"2","Description":"the live one","RoutingConfig":{"AdditionalVersionWeights":{"1":0.123456789}},"RevisionId":"r-a"}"#;

/// An alias without routing, on `$LATEST`.
pub const ALIAS_PLAIN: &str = r#"{"Name":"plain","FunctionVersion":"$LATEST","Description":"","RoutingConfig":null,"RevisionId":"r-p"}"#;

/// A layer version with every field set.
pub const LAYER_FULL: &str = r#"{"LayerName":"shared","Version":2,"Description":"libs","CreatedDate":"2026-01-02T03:04:05.000+0000","CompatibleRuntimes":["python3.11","python3.12"],"CompatibleArchitectures":["x86_64"],"LicenseInfo":"MIT","Code":{"Sha256Hex":"ee","Sha256B64":"7g==","Size":10,"UnzippedSize":20}}"#;

/// A layer version with nothing optional.
pub const LAYER_BARE: &str = r#"{"LayerName":"bare","Version":1,"Description":"","CreatedDate":"2026-01-02T03:04:05.000+0000","CompatibleRuntimes":[],"CompatibleArchitectures":[],"LicenseInfo":null,"Code":{"Sha256Hex":"ff","Sha256B64":"/w==","Size":3,"UnzippedSize":4}}"#;

/// Event-invoke settings with a success destination and a long fraction.
pub const INVOKE_CONFIG_FULL: &str = r#"{"Settings":{"MaximumRetryAttempts":1,"MaximumEventAgeInSeconds":3600,"DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:sqs:us-east-1:123456789012:ok"},"OnFailure":{}}},"LastModified":1767225600.1234567}"#;

/// Event-invoke settings with nothing set.
pub const INVOKE_CONFIG_EMPTY: &str = r#"{"Settings":{},"LastModified":1767225601.0}"#;
fn s(v: &str) -> String {
    v.to_owned()
}

/// What [`FUNCTION_FULL`] holds.
pub fn function_full() -> FunctionVersion {
    FunctionVersion {
        function_name: s("full"),
        version: Version::Published(3),
        settings: FunctionSettings {
            runtime: Some(s("python3.12")),
            role: s("arn:aws:iam::123456789012:role/r"),
            handler: Some(s("app.handler")),
            description: s("d \"q\" é"),
            timeout: 42,
            memory_size: 256,
            environment: Some(BTreeMap::from([
                (s("STAGE"), s("two")),
                (s("EXTRA"), s("x")),
            ])),
            layers: vec![
                AttachedLayer {
                    arn: s("arn:aws:lambda:us-east-1:123456789012:layer:b:2"),
                    code_size: 11,
                    unzipped_size: 22,
                    sha256_hex: s("bb"),
                },
                AttachedLayer {
                    arn: s("arn:aws:lambda:us-east-1:123456789012:layer:a:1"),
                    code_size: 33,
                    unzipped_size: 44,
                    sha256_hex: s("aa"),
                },
            ],
            architectures: vec![s("arm64")],
            ephemeral_storage: 1024,
            tracing_mode: s("Active"),
            dead_letter_target: Some(s("arn:aws:sqs:us-east-1:123456789012:dlq")),
            kms_key_arn: Some(s("arn:aws:kms:us-east-1:123456789012:key/k")),
            vpc: Some(VpcConfig {
                subnet_ids: vec![s("subnet-1")],
                security_group_ids: vec![s("sg-1"), s("sg-2")],
                ipv6_allowed_for_dual_stack: Some(true),
            }),
            logging: LoggingConfig {
                log_format: s("JSON"),
                application_log_level: Some(s("DEBUG")),
                system_log_level: Some(s("WARN")),
                log_group: s("/custom/group"),
            },
        },
        code: CodeRef {
            sha256_hex: s("cc"),
            sha256_b64: s("zA=="),
            size: 1234,
            unzipped_size: 5678,
        },
        last_modified: s("2026-01-02T03:04:05.678+0000"),
        revision_id: s("0b8f1c2e-1111-2222-3333-444455556666"),
    }
}

/// What [`FUNCTION_MINIMAL`] holds.
pub fn function_minimal() -> FunctionVersion {
    FunctionVersion {
        function_name: s("min"),
        version: Version::Latest,
        settings: stratus_model::settings::default_settings("min"),
        code: CodeRef {
            sha256_hex: s("dd"),
            sha256_b64: s("3Q=="),
            size: 1,
            unzipped_size: 2,
        },
        last_modified: s("2026-01-02T03:04:05.000+0000"),
        revision_id: s("r-min"),
    }
}

/// What [`ALIAS_WEIGHTED`] holds.
pub fn alias_weighted() -> AliasRecord {
    AliasRecord {
        name: s("live"),
        function_version: s("2"),
        description: s("the live one"),
        routing_config: Some(RoutingConfig {
            additional_version_weights: BTreeMap::from([(s("1"), 0.123456789)]),
        }),
        revision_id: s("r-a"),
    }
}

/// What [`ALIAS_PLAIN`] holds.
pub fn alias_plain() -> AliasRecord {
    AliasRecord {
        name: s("plain"),
        function_version: s("$LATEST"),
        description: String::new(),
        routing_config: None,
        revision_id: s("r-p"),
    }
}

/// What [`LAYER_FULL`] holds.
pub fn layer_full() -> LayerVersionRecord {
    LayerVersionRecord {
        layer_name: s("shared"),
        version: 2,
        description: s("libs"),
        created_date: s("2026-01-02T03:04:05.000+0000"),
        compatible_runtimes: vec![s("python3.11"), s("python3.12")],
        compatible_architectures: vec![s("x86_64")],
        license_info: Some(s("MIT")),
        code: CodeRef {
            sha256_hex: s("ee"),
            sha256_b64: s("7g=="),
            size: 10,
            unzipped_size: 20,
        },
    }
}

/// What [`LAYER_BARE`] holds.
pub fn layer_bare() -> LayerVersionRecord {
    LayerVersionRecord {
        layer_name: s("bare"),
        version: 1,
        description: String::new(),
        created_date: s("2026-01-02T03:04:05.000+0000"),
        compatible_runtimes: Vec::new(),
        compatible_architectures: Vec::new(),
        license_info: None,
        code: CodeRef {
            sha256_hex: s("ff"),
            sha256_b64: s("/w=="),
            size: 3,
            unzipped_size: 4,
        },
    }
}

/// What [`INVOKE_CONFIG_FULL`] holds.
pub fn invoke_config_full() -> EventInvokeRecord {
    EventInvokeRecord {
        settings: EventInvokeSettings {
            maximum_retry_attempts: Some(1),
            maximum_event_age_in_seconds: Some(3600),
            destination_config: Some(DestinationConfig {
                on_success: Destination {
                    destination: Some(s("arn:aws:sqs:us-east-1:123456789012:ok")),
                },
                on_failure: Destination { destination: None },
            }),
        },
        last_modified: 1767225600.1234567,
    }
}

/// What [`INVOKE_CONFIG_EMPTY`] holds.
pub fn invoke_config_empty() -> EventInvokeRecord {
    EventInvokeRecord {
        settings: EventInvokeSettings::default(),
        last_modified: 1767225601.0,
    }
}
