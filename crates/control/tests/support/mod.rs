//! A control plane over a real SQLite store and blob store in a temporary directory.

#![allow(dead_code)] // each test file uses its own part

use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Value};
use stratus_artifacts::BlobStore;
use stratus_control::{CodeUrlSigner, Config, Control, LambdaError};
use stratus_model::account::Limits;
use stratus_model::requests::CreateFunctionRequest;
use stratus_model::{ErrorKind, FunctionConfiguration, Scope};
use stratus_store::{SqliteStore, Store};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

/// The control plane and what it runs over; the directory lives as long as this.
pub struct Harness {
    pub control: Control,
    pub blobs: Arc<BlobStore>,
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl Harness {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&dir.path().join("metadata.db"))
                .await
                .unwrap(),
        );
        let blobs = Arc::new(BlobStore::open(dir.path().join("blobs")).unwrap());
        let control = Control::new(
            Config {
                scope: Scope {
                    region: REGION.into(),
                    account: ACCOUNT.into(),
                },
                limits: Limits::default(),
                runtimes: vec!["python3.12".into()],
            },
            Arc::clone(&store),
            Arc::clone(&blobs),
            CodeUrlSigner::new([7; 32]),
        );
        Self {
            control,
            blobs,
            store,
            _dir: dir,
        }
    }

    /// CreateFunction with a one-file package whose content is `marker`.
    pub async fn create(&self, name: &str, marker: &str) -> FunctionConfiguration {
        self.control
            .create_function(create_request(name, marker, json!({})))
            .await
            .unwrap()
    }

    /// A second store over the same database file, as a restarted server opens it.
    pub async fn reopen(&self) -> Arc<dyn Store> {
        Arc::new(
            SqliteStore::open(&self._dir.path().join("metadata.db"))
                .await
                .unwrap(),
        )
    }

    /// The blob keys on disk, sorted.
    pub fn blob_keys(&self) -> Vec<String> {
        let mut keys = self.blobs.list().unwrap();
        keys.sort();
        keys
    }
}

/// A base64 zip holding `app.py` with `marker` in it.
pub fn zip_b64(marker: &str) -> String {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("app.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    write!(w, "def handler(e, c):\n    return {marker:?}\n").unwrap();
    let bytes = w.finish().unwrap().into_inner();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A CreateFunction body as botocore sends it, with `extra` fields merged in.
pub fn create_request(name: &str, marker: &str, extra: Value) -> CreateFunctionRequest {
    let mut body = json!({
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": format!("arn:aws:iam::{ACCOUNT}:role/r"),
        "Handler": "app.handler",
        "Code": {"ZipFile": zip_b64(marker)},
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    serde_json::from_value(body).unwrap()
}

/// A request body decoded as the API decodes it.
pub fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

/// The error's kind, panicking with the value when the call succeeded.
pub fn kind<T: std::fmt::Debug>(r: Result<T, LambdaError>) -> ErrorKind {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.kind,
    }
}
