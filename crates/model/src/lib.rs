//! Lambda's domain, with no I/O: names and ARNs, validation rules, stored records and the
//! wire shapes botocore models.
//!
//! This crate owns what a Lambda function, version, alias, layer and event-invoke config *is*
//! and which values are acceptable. It must not touch the network, the disk or a clock
//! beyond what a caller passes in. The same types serve API bodies and stored records.

pub mod account;
pub mod alias;
pub mod dead_letter;
pub mod destination;
pub mod error;
pub mod function;
pub mod invoke;
pub mod invoke_config;
pub mod layer;
pub mod names;
pub mod provisioned;
pub mod requests;
pub mod runtime;
pub mod settings;
pub mod time;

pub use error::{ErrorKind, LambdaError, Violations};
pub use function::{FunctionConfiguration, FunctionSettings, FunctionVersion, Version};
pub use names::{FunctionRef, Qualifier, Scope};
