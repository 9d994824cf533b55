//! Signed requests to the server's API, and its errors as Lambda reports them.

use anyhow::Context;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use stratus_sigv4::Signer;

use super::profile::{self, Identity};
use super::ClientArgs;

/// Everything but RFC 3986's unreserved characters is percent-encoded in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A path segment, encoded as it is sent and signed.
pub fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// An error answer: Lambda's error type and message.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

/// A client of one server with one identity.
pub struct Client {
    http: reqwest::Client,
    endpoint: Url,
    identity: Identity,
}

impl Client {
    pub fn new(args: &ClientArgs) -> anyhow::Result<Self> {
        let endpoint = args
            .endpoint_url
            .clone()
            .or_else(|| std::env::var("STRATUS_ENDPOINT").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| "http://127.0.0.1:9070".to_owned());
        let endpoint =
            Url::parse(&endpoint).with_context(|| format!("invalid endpoint URL {endpoint}"))?;
        let identity = profile::resolve(args.profile.as_deref(), args.region.as_deref())?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("stratus-cli/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            http,
            endpoint,
            identity,
        })
    }

    /// Sends `method raw_path?raw_query` signed for service `lambda`; the JSON answer
    /// (`Value::Null` for an empty one), or the error the server gave.
    pub async fn call(
        &self,
        method: Method,
        raw_path: &str,
        raw_query: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut url = self.endpoint.clone();
        url.set_path(raw_path);
        url.set_query(raw_query);
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => anyhow::bail!("endpoint URL {} has no host", self.endpoint),
        };
        let signed = Signer {
            access_key_id: &self.identity.access_key_id,
            secret: &self.identity.secret_access_key,
            region: &self.identity.region,
            service: "lambda",
        }
        .sign(
            method.as_str(),
            url.path(),
            url.query(),
            &host,
            b"",
            chrono::Utc::now(),
        );
        let mut request = self
            .http
            .request(method, url.clone())
            .header("x-amz-date", &signed.amz_date)
            .header("authorization", &signed.authorization);
        if let Some(token) = &self.identity.session_token {
            request = request.header("x-amz-security-token", token);
        }
        let answer = request
            .send()
            .await
            .with_context(|| format!("could not reach {}", self.endpoint))?;
        let status = answer.status();
        let error_type = answer
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(':').next().unwrap_or(v).to_owned());
        let body = answer.bytes().await.context("reading the answer")?;
        let json: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        };
        if status.is_success() {
            return Ok(json);
        }
        Err(api_error(status, error_type, &json).into())
    }
}

fn api_error(status: StatusCode, error_type: Option<String>, body: &Value) -> ApiError {
    let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let code = error_type
        .or_else(|| field("__type"))
        .or_else(|| field("code"))
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    let message = field("message")
        .or_else(|| field("Message"))
        .or_else(|| body.as_str().map(str::to_owned))
        .unwrap_or_default();
    ApiError { code, message }
}
