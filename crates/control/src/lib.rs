//! The control plane: the rules of Lambda's management API.
//!
//! Every management operation (functions, versions, aliases, layers, tags, concurrency,
//! event-invoke configs, account settings, and Stratus's dead letters) is a method on
//! [`Control`] taking a typed request and returning a wire shape or a [`LambdaError`]. It
//! owns the transaction discipline that makes every acknowledged write durable and every
//! rejected one leave nothing behind: code blobs are validated before anything is written,
//! written inside the store's write transaction, and removed again if that transaction does
//! not commit. The store is any backend behind `stratus_store`'s traits (`Arc<dyn Store>`);
//! control never names one.
//! It must not parse HTTP; the `api` crate translates requests into these calls.

mod absent;
mod account;
mod aliases;
mod code_url;
mod concurrency;
mod dead_letters;
mod functions;
mod internal;
mod invoke_configs;
mod layers;
mod packages;
mod provisioned;
mod provisioned_specs;
mod publish;
mod resolve;
mod tags;

use std::sync::Arc;

use stratus_artifacts::BlobStore;
use stratus_model::account::Limits;
use stratus_model::Scope;
use stratus_store::Store;

pub use code_url::CodeUrlSigner;
pub use dead_letters::RedriveHook;
pub use provisioned::Provisioning;
pub use resolve::InvokeTarget;
pub use stratus_model::LambdaError;

/// What the control plane is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Region and account of every ARN.
    pub scope: Scope,
    /// Limits enforced and reported.
    pub limits: Limits,
    /// Runtime identifiers this server can run.
    pub runtimes: Vec<String>,
}

/// The control plane; cheap to clone.
#[derive(Debug, Clone)]
pub struct Control {
    inner: Arc<Inner>,
}

/// Called with a function's name after its `$LATEST` code or configuration changed or the
/// function was deleted, so running environments can be retired.
pub type ChangeHook = Arc<dyn Fn(&str) + Send + Sync>;

struct Inner {
    config: Config,
    store: Arc<dyn Store>,
    blobs: Arc<BlobStore>,
    code_urls: CodeUrlSigner,
    on_change: std::sync::OnceLock<ChangeHook>,
    on_redrive: std::sync::OnceLock<RedriveHook>,
    provisioning: std::sync::OnceLock<Arc<dyn Provisioning>>,
    /// Bumped by every committed write; cached invoke targets of older generations are stale.
    generation: std::sync::atomic::AtomicU64,
    invoke_cache: resolve::InvokeCache,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("config", &self.config)
            .finish()
    }
}

type Result<T> = std::result::Result<T, LambdaError>;

impl Control {
    /// Wires the control plane over its store (any backend) and blob store.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        blobs: Arc<BlobStore>,
        code_urls: CodeUrlSigner,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                store,
                blobs,
                code_urls,
                on_change: std::sync::OnceLock::new(),
                on_redrive: std::sync::OnceLock::new(),
                provisioning: std::sync::OnceLock::new(),
                generation: std::sync::atomic::AtomicU64::new(0),
                invoke_cache: resolve::InvokeCache::default(),
            }),
        }
    }

    /// Registers the hook told about changed functions (set once, at wiring time).
    pub fn on_change(&self, hook: ChangeHook) {
        if self.inner.on_change.set(hook).is_err() {
            tracing::warn!("control-plane change hook set twice; keeping the first");
        }
    }

    pub(crate) fn changed(&self, function: &str) {
        if let Some(hook) = self.inner.on_change.get() {
            hook(function);
        }
    }

    /// Region and account.
    pub fn scope(&self) -> &Scope {
        &self.inner.config.scope
    }

    fn store(&self) -> &dyn Store {
        &*self.inner.store
    }

    fn limits(&self) -> &Limits {
        &self.inner.config.limits
    }

    /// Removes every blob no record refers to (left by a crash between blob write and
    /// commit); run once at start-up. Returns how many were removed.
    pub async fn sweep_orphan_blobs(&self) -> Result<usize> {
        let keep = self
            .store()
            .referenced_blobs()
            .await
            .map_err(internal::log)?;
        let blobs = self.inner.blobs.clone();
        internal::blocking(move || blobs.sweep(&keep)).await
    }

    /// The zip bytes of a blob, if `token` authorises its download now.
    pub async fn download_code(
        &self,
        sha256_hex: &str,
        expires: i64,
        signature: &str,
    ) -> Result<Vec<u8>> {
        if !self.inner.code_urls.verify(sha256_hex, expires, signature) {
            return Err(LambdaError::new(
                stratus_model::ErrorKind::ResourceNotFound,
                "The code location is invalid or has expired",
            ));
        }
        let blobs = self.inner.blobs.clone();
        let key = sha256_hex.to_owned();
        internal::blocking(move || blobs.read(&key)).await
    }
}
