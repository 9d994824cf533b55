//! Server configuration: every flag and environment variable in one place.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// Environment variable holding the admin access key id.
pub const ENV_ACCESS_KEY_ID: &str = "STRATUS_ACCESS_KEY_ID";
/// Environment variable holding the admin secret access key.
pub const ENV_SECRET_ACCESS_KEY: &str = "STRATUS_SECRET_ACCESS_KEY";

/// `stratus server` options.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address the API listens on.
    #[arg(long, env = "STRATUS_LISTEN", default_value = "127.0.0.1:9070")]
    pub listen: SocketAddr,
    /// Directory for the metadata database and code packages.
    #[arg(long, env = "STRATUS_DATA_DIR", default_value = ".stratus")]
    pub data_dir: PathBuf,
    /// Region in every ARN; clients must sign for it.
    #[arg(long, env = "STRATUS_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Twelve-digit account id in every ARN.
    #[arg(long, env = "STRATUS_ACCOUNT_ID", default_value = "123456789012")]
    pub account_id: String,
    /// Seconds an idle execution environment is kept before it is reaped.
    #[arg(long, env = "STRATUS_IDLE_TTL_SECS", default_value_t = 300)]
    pub idle_ttl_secs: u64,
    /// Invocations an execution environment runs before it is replaced (0 = no limit).
    #[arg(long, env = "STRATUS_ENV_MAX_INVOCATIONS", default_value_t = stratus_engine::DEFAULT_MAX_INVOCATIONS)]
    pub env_max_invocations: u64,
    /// Seconds after its creation an execution environment is replaced (0 = no limit).
    #[arg(long, env = "STRATUS_ENV_MAX_AGE_SECS", default_value_t = stratus_engine::DEFAULT_MAX_AGE.as_secs())]
    pub env_max_age_secs: u64,
    /// Sandboxes kept spawned ahead of cold starts (0 = spawn each on demand).
    #[arg(long, env = "STRATUS_SPARE_SANDBOXES", default_value_t = 2)]
    pub spare_sandboxes: usize,
    /// Concurrent executions the account may run (Lambda's regional quota).
    #[arg(long, env = "STRATUS_ACCOUNT_CONCURRENCY", default_value_t = 1000)]
    pub account_concurrency: i64,
    /// Concurrency that reservations and provisioned concurrency must leave unreserved.
    #[arg(
        long,
        env = "STRATUS_MIN_UNRESERVED_CONCURRENCY",
        default_value_t = 100
    )]
    pub min_unreserved_concurrency: i64,
    /// Days function logs are kept (default: forever).
    #[arg(long, env = "STRATUS_LOG_RETENTION_DAYS")]
    pub log_retention_days: Option<u32>,
    /// MiB of function log events kept in memory for queries; older streams are read back
    /// from disk.
    #[arg(long, env = "STRATUS_LOG_MEMORY_MB", default_value_t = stratus_logs::store::DEFAULT_MEMORY_CAP_BYTES / (1024 * 1024))]
    pub log_memory_mb: usize,
    /// MiB of a function's output kept per invocation (and during init): output past it is
    /// counted and dropped, and one line in the log stream says how much, so that a
    /// function printing without end cannot fill the disk.
    #[arg(
        long,
        env = "STRATUS_LOG_MAX_INVOCATION_MB",
        default_value_t = stratus_logs::capture::DEFAULT_INVOCATION_LIMIT_BYTES / (1024 * 1024),
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub log_max_invocation_mb: u64,
    /// Asynchronous events run at once, at most (the dispatcher claims no more than this).
    #[arg(long, env = "STRATUS_ASYNC_CONCURRENCY", default_value_t = 1000)]
    pub async_concurrency: usize,
    /// Seconds before the first retry of an asynchronous event after a function error; the
    /// second retry waits twice this. Lambda waits about a minute; tests shorten it.
    #[arg(long, env = "STRATUS_ASYNC_RETRY_BASE_SECS", default_value_t = 60)]
    pub async_retry_base_secs: u64,
    /// Test setting: caps every asynchronous event's maximum age at this many seconds,
    /// below the 60 s that MaximumEventAgeInSeconds allows, so expiry is testable quickly.
    #[arg(long, env = "STRATUS_ASYNC_MAX_EVENT_AGE_SECS")]
    pub async_max_event_age_secs: Option<u64>,
    /// Unprivileged uid:gid functions run as.
    #[arg(long, env = "STRATUS_FUNCTION_USER", default_value = "993:993")]
    pub function_user: String,
    /// Log filter (tracing-subscriber syntax), e.g. `info` or `stratus_api=debug`.
    #[arg(long, env = "STRATUS_LOG", default_value = "info")]
    pub log: String,
}

impl ServerArgs {
    /// The limits the control plane enforces and reports.
    pub fn limits(&self) -> stratus_model::account::Limits {
        stratus_model::account::Limits {
            concurrent_executions: self.account_concurrency,
            min_unreserved: self.min_unreserved_concurrency,
            ..Default::default()
        }
    }

    /// Checks values clap cannot.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.account_id.len() == 12 && self.account_id.bytes().all(|b| b.is_ascii_digit()),
            "--account-id must be twelve digits, got {}",
            self.account_id
        );
        anyhow::ensure!(
            !self.region.is_empty()
                && self
                    .region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "--region must look like us-east-1, got {}",
            self.region
        );
        anyhow::ensure!(
            self.account_concurrency >= 1,
            "--account-concurrency must be at least 1, got {}",
            self.account_concurrency
        );
        anyhow::ensure!(
            (0..=self.account_concurrency).contains(&self.min_unreserved_concurrency),
            "--min-unreserved-concurrency ({}) must be between 0 and --account-concurrency ({})",
            self.min_unreserved_concurrency,
            self.account_concurrency
        );
        self.function_ids()?;
        anyhow::ensure!(
            self.async_concurrency > 0,
            "--async-concurrency must be at least 1"
        );
        Ok(())
    }

    /// The uid and gid functions run as.
    pub fn function_ids(&self) -> anyhow::Result<(u32, u32)> {
        let (u, g) = self.function_user.split_once(':').ok_or_else(|| {
            anyhow::anyhow!(
                "--function-user must be UID:GID, got {}",
                self.function_user
            )
        })?;
        let (u, g): (u32, u32) = (u.parse()?, g.parse()?);
        anyhow::ensure!(u != 0 && g != 0, "--function-user must not be root");
        Ok((u, g))
    }
}
