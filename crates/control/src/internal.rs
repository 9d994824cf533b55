//! Turning unexpected failures (database, disk) into a logged `ServiceException`.

use std::fmt::Display;

use stratus_model::LambdaError;

/// Logs an unexpected failure and returns the opaque 500 sent to the client.
pub(crate) fn log(e: impl Display) -> LambdaError {
    tracing::error!(error = %e, "control plane failure");
    LambdaError::internal()
}

/// Runs blocking file work off the async threads, logging failures as internal.
pub(crate) async fn blocking<T, E, F>(f: F) -> Result<T, LambdaError>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Display + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(log),
        Err(join) => Err(log(join)),
    }
}

/// `.internal()` on results whose error is never the client's fault.
pub(crate) trait OrInternal<T> {
    /// Maps the error to a logged `ServiceException`.
    fn internal(self) -> Result<T, LambdaError>;
}

impl<T, E: Display> OrInternal<T> for Result<T, E> {
    fn internal(self) -> Result<T, LambdaError> {
        self.map_err(log)
    }
}
