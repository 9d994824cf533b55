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
    /// MiB of memory the host offers environments (default: the host's MemTotal).
    #[arg(long, env = "STRATUS_HOST_MEMORY_MB")]
    pub host_memory_mb: Option<u64>,
    /// How many times the host's memory live environments may hold in all (the sum of
    /// their functions' MemorySize): idle ones are evicted, then invokes throttled, past it.
    #[arg(long, env = "STRATUS_MEMORY_OVERCOMMIT", default_value_t = 8.0)]
    pub memory_overcommit: f64,
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
    /// Unprivileged uids execution environments run as, FIRST-LAST: each live environment
    /// holds one of its own (its gid is the same number), so no per-user kernel limit is
    /// shared between functions. Must hold at least --account-concurrency uids.
    #[arg(long, env = "STRATUS_FUNCTION_UIDS", default_value = "1000000-1004095")]
    pub function_uids: String,
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
        anyhow::ensure!(
            self.memory_overcommit.is_finite() && self.memory_overcommit > 0.0,
            "--memory-overcommit must be a positive number, got {}",
            self.memory_overcommit
        );
        anyhow::ensure!(
            self.host_memory_mb != Some(0),
            "--host-memory-mb must be at least 1"
        );
        self.function_uids()?;
        anyhow::ensure!(
            self.async_concurrency > 0,
            "--async-concurrency must be at least 1"
        );
        Ok(())
    }

    /// The memory live environments may hold in all, in MiB, and the host memory it was
    /// computed from (given, or read from /proc/meminfo).
    pub fn memory_limit_mb(&self) -> anyhow::Result<(u64, u64)> {
        let host = match self.host_memory_mb {
            Some(mb) => mb,
            None => stratus_engine::capacity::host_memory_mb().ok_or_else(|| {
                anyhow::anyhow!("cannot read MemTotal from /proc/meminfo; pass --host-memory-mb")
            })?,
        };
        Ok(((host as f64 * self.memory_overcommit) as u64, host))
    }

    /// The uids environments run as.
    pub fn function_uids(&self) -> anyhow::Result<std::ops::RangeInclusive<u32>> {
        let bad = || {
            anyhow::anyhow!(
                "--function-uids must be FIRST-LAST with 0 < FIRST <= LAST, got {}",
                self.function_uids
            )
        };
        let (first, last) = self.function_uids.split_once('-').ok_or_else(bad)?;
        let (first, last): (u32, u32) = (
            first.trim().parse().map_err(|_| bad())?,
            last.trim().parse().map_err(|_| bad())?,
        );
        anyhow::ensure!(first > 0 && first <= last && last < u32::MAX, bad());
        let size = u64::from(last - first) + 1;
        anyhow::ensure!(
            size >= u64::try_from(self.account_concurrency).unwrap_or(u64::MAX),
            "--function-uids holds {size} uids, fewer than --account-concurrency ({})",
            self.account_concurrency
        );
        Ok(first..=last)
    }
}
