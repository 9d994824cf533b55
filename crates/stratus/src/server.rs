//! `stratus server`: opens the data dir, wires store, blobs, control plane and API, serves
//! until SIGTERM or SIGINT.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context;
use rand::Rng;
use stratus_api::{AppState, Credentials, Invocations};
use stratus_artifacts::BlobStore;
use stratus_control::{CodeUrlSigner, Config, Control};
use stratus_model::Scope;
use stratus_store::{SqliteStore, Store};
use tracing_subscriber::EnvFilter;

use crate::config::ServerArgs;
use crate::credentials;

/// Runs the server to completion.
pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    args.validate()?;
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&args.log).context("parsing --log")?)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let host = runtime.block_on(serve(args))?;
    // Teardowns still running on the blocking pool (an environment destroyed by the reaper
    // a moment ago, a spare whose spawn was under way when shutdown began) finish here;
    // only then are the cgroups below ours known to be final.
    runtime.shutdown_timeout(TEARDOWN_LIMIT);
    let left = stratus_sandbox::cleanup_stale_cgroups(&host);
    if left > 0 {
        tracing::warn!(left, "sandboxes outlived shutdown; killed and removed");
    }
    stratus_sandbox::remove_cgroup_parent(&host);
    // The sandboxes' /etc is written anew at every start; no sandbox is left to mount it.
    if let Some(etc) = &host.etc_dir {
        if let Err(error) = std::fs::remove_dir_all(etc) {
            tracing::warn!(dir = %etc.display(), %error, "cannot remove the sandboxes' /etc");
        }
    }
    tracing::info!("stratus server stopped");
    Ok(())
}

/// How long shutdown waits for sandbox teardowns still under way.
const TEARDOWN_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves until a stop signal; returns the sandbox host settings for the final sweep.
async fn serve(args: ServerArgs) -> anyhow::Result<stratus_sandbox::HostConfig> {
    let started = std::time::Instant::now();
    // Before anything records: a metric handle taken earlier would record nowhere.
    let metrics = stratus_metrics::install()?;
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating data dir {}", args.data_dir.display()))?;
    let (key, generated) = credentials::load(&args.data_dir)?;
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&args.data_dir.join("metadata.db"))
            .await
            .with_context(|| {
                format!("opening the metadata store in {}", args.data_dir.display())
            })?,
    );
    let blobs = Arc::new(
        BlobStore::open(args.data_dir.join("blobs"))
            .with_context(|| format!("opening the blob store in {}", args.data_dir.display()))?,
    );
    let mut url_key = [0u8; 32];
    rand::rng().fill_bytes(&mut url_key);
    let runtimes = stratus_runtimes::offered();
    let control = Control::new(
        Config {
            scope: Scope {
                region: args.region.clone(),
                account: args.account_id.clone(),
            },
            limits: args.limits(),
            runtimes: runtimes.clone(),
        },
        Arc::clone(&store),
        Arc::clone(&blobs),
        CodeUrlSigner::new(url_key),
    );
    let blobs_for_engine = blobs;
    let swept = control
        .sweep_orphan_blobs()
        .await
        .map_err(|e| anyhow::anyhow!("sweeping orphan blobs: {e}"))?;

    let mut keys = HashMap::new();
    keys.insert(
        key.access_key_id.clone(),
        Credentials {
            secret_access_key: key.secret_access_key.clone(),
        },
    );
    let logs = Arc::new(
        stratus_logs::LogStore::open_with(
            &args.data_dir.join("logs"),
            stratus_logs::LogSettings {
                default_retention_days: args.log_retention_days,
                memory_cap_bytes: args.log_memory_mb.saturating_mul(1024 * 1024),
            },
        )
        .with_context(|| format!("opening function logs in {}", args.data_dir.display()))?,
    );
    let runtime_dir = args.data_dir.join("runtimes");
    stratus_runtimes::install(&runtime_dir)
        .with_context(|| format!("installing bundled runtimes into {}", runtime_dir.display()))?;

    let mut host = stratus_sandbox::HostConfig::detect();
    // Sandboxes of this server live under their own cgroup parent, named after the data
    // dir: several servers can share a host, and the start-up sweep below only removes what
    // an earlier run of this same server left behind.
    host.cgroup_parent = format!("stratus/{}", instance_id(&args.data_dir));
    let stale = stratus_sandbox::cleanup_stale_cgroups(&host);
    if stale > 0 {
        tracing::info!(stale, "removed sandboxes left by an earlier run");
    }
    let cgroup_version = host.cgroup_version;
    let uids = args.function_uids()?;
    host.etc_dir = Some(sandbox_etc(&host, &uids)?);
    let (memory_limit_mb, host_memory_mb) = args.memory_limit_mb()?;
    check_host_limits(&args);
    tracing::info!(
        host_memory_mb,
        overcommit = args.memory_overcommit,
        memory_limit_mb,
        "environments may hold this much memory (their functions' MemorySize) in all"
    );
    let engine = stratus_engine::Engine::new(
        stratus_engine::EngineConfig {
            region: args.region.clone(),
            packages_dir: args.data_dir.join("packages"),
            tmp_images_dir: args.data_dir.join("tmp-images"),
            runtime_dir: runtime_dir.clone(),
            idle_ttl: std::time::Duration::from_secs(args.idle_ttl_secs),
            lifetime: stratus_engine::Lifetime {
                max_invocations: args.env_max_invocations,
                max_age: std::time::Duration::from_secs(args.env_max_age_secs),
            },
            account_concurrency: usize::try_from(args.account_concurrency).unwrap_or(usize::MAX),
            uids,
            host: host.clone(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
            spare_sandboxes: args.spare_sandboxes,
            memory_limit_mb,
            log_limit_per_invocation: args.log_max_invocation_mb.saturating_mul(1024 * 1024),
        },
        blobs_for_engine,
        Arc::clone(&logs),
    );
    {
        let engine = engine.clone();
        control.on_change(Arc::new(move |function: &str| engine.retire(function)));
    }
    crate::provisioning::wire(&control, &engine).await?;
    let (invocations, dispatcher) = start_async(&args, &store, &control, &engine).await?;
    let scraper = stratus_metrics::Scraper::new(metrics, engine.clone(), Arc::clone(&store));
    let app = stratus_api::router(AppState {
        control,
        credentials: Arc::new(keys),
        engine: engine.clone(),
        invocations,
        logs,
        metrics: Arc::new(scraper),
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    if generated {
        credentials::announce(&key, &args.region, &args.listen);
    }
    tracing::info!(
        listen = %args.listen,
        data_dir = %args.data_dir.display(),
        region = %args.region,
        account = %args.account_id,
        runtimes = ?runtimes,
        cgroups = ?cgroup_version,
        cgroup_parent = %host.cgroup_parent,
        orphan_blobs_removed = swept,
        startup_ms = started.elapsed().as_millis() as u64,
        "stratus server ready"
    );
    // Background work that start-up need not wait for: spare sandboxes, and bytecode for
    // the Python runtime (until it exists, cold starts compile the source).
    engine.spawn_spares();
    std::thread::spawn(move || {
        if let Err(e) = stratus_runtimes::precompile_python(&runtime_dir) {
            tracing::warn!(error = %e, "cannot precompile the Python runtime");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    dispatcher.shutdown(DISPATCH_DRAIN_LIMIT).await;
    engine.shutdown().await;
    store.close().await;
    Ok(host)
}

/// How long shutdown waits for asynchronous events still running; those left keep their
/// leases, which the next start ends (they run again).
const DISPATCH_DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Asynchronous invoke: the group commit that Event invocations are accepted through, and
/// the dispatcher that runs them (leases left by an earlier run ended first).
async fn start_async(
    args: &ServerArgs,
    store: &Arc<dyn Store>,
    control: &Control,
    engine: &stratus_engine::Engine,
) -> anyhow::Result<(Invocations, stratus_dispatch::Running)> {
    use stratus_destinations::{Deliverer, DeliveryConfig};
    use stratus_dispatch::{Dispatch, DispatchSettings, InvocationSink, LiveInvoker, SystemClock};
    let wake = Arc::new(tokio::sync::Notify::new());
    let (commit, _committer) = stratus_store::queue::GroupCommit::start(Arc::clone(store), 1024)
        .context("starting the queue committer")?;
    let invocations = Invocations::new(control.clone(), engine.clone()).with_queue(
        stratus_invocation::AsyncQueue::new(commit.clone(), Arc::clone(&wake)),
    );
    let invoker = LiveInvoker::new(control.clone(), invocations.clone(), Arc::clone(store));
    let deliverer = Deliverer::new(
        control.scope().clone(),
        Arc::new(InvocationSink::new(invocations.clone())),
        &DeliveryConfig::default(),
    )
    .context("building the webhook client")?;
    // A redriven dead letter is runnable at once: wake the dispatcher.
    let redriven = Arc::clone(&wake);
    control.on_redrive(Arc::new(move |_function: &str| redriven.notify_one()));
    let dispatch = Dispatch::new(
        Arc::clone(store),
        commit,
        Arc::new(invoker),
        Arc::new(deliverer),
        Arc::new(SystemClock),
        DispatchSettings {
            concurrency: args.async_concurrency,
            retry_base: std::time::Duration::from_secs(args.async_retry_base_secs),
            max_event_age_cap: args
                .async_max_event_age_secs
                .map(std::time::Duration::from_secs),
            ..DispatchSettings::default()
        },
    );
    let recovered = dispatch
        .recover_leases()
        .await
        .map_err(|e| anyhow::anyhow!("ending the leases of an earlier run: {e}"))?;
    if recovered > 0 {
        tracing::info!(
            events = recovered,
            "async events left running by an earlier run are runnable again"
        );
    }
    Ok((invocations, dispatch.spawn(wake)))
}

/// Writes the sandboxes' own `/etc` (accounts for `uids`, the host's CA certificates) next
/// to the sandboxes' root mount point, outside the data dir: its path shows in a
/// sandbox's `/proc/self/mountinfo`, and the data dir's should not.
fn sandbox_etc(
    host: &stratus_sandbox::HostConfig,
    uids: &std::ops::RangeInclusive<u32>,
) -> anyhow::Result<std::path::PathBuf> {
    let base = host
        .root_mountpoint
        .parent()
        .unwrap_or(std::path::Path::new("/run"));
    let instance = host.cgroup_parent.rsplit('/').next().unwrap_or("stratus");
    let dir = base.join(format!("etc-{instance}"));
    stratus_sandbox::write_minimal_etc(&dir, uids.clone(), std::path::Path::new("/etc"))
        .with_context(|| format!("writing the sandboxes' /etc in {}", dir.display()))?;
    tracing::info!(dir = %dir.display(), first_uid = uids.start(), last_uid = uids.end(), "sandboxes get their own /etc");
    Ok(dir)
}

/// A stable short id for a data dir (its canonical path hashed).
fn instance_id(data_dir: &std::path::Path) -> String {
    use std::hash::{Hash, Hasher};
    let path = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    format!("{:016x}", h.finish())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Raises the descriptor limit and says what the host's limits leave room for.
fn check_host_limits(args: &ServerArgs) {
    let limits = stratus_sandbox::raise_limits();
    let room = limits.environments_by_fds();
    tracing::info!(
        fds = limits.fds,
        fds_before = limits.fds_before,
        pid_max = limits.pid_max,
        environments = room,
        "descriptor limit raised to the host's hard limit"
    );
    let wanted = u64::try_from(args.account_concurrency).unwrap_or(u64::MAX);
    if room < wanted {
        tracing::warn!(
            fds = limits.fds,
            environments = room,
            account_concurrency = wanted,
            "the descriptor limit leaves room for fewer live environments than the account \
             concurrency; raise the hard limit (ulimit -Hn, LimitNOFILE=) to hold them all"
        );
    }
}
