//! Request decoding with Lambda's errors: JSON bodies and repeated query parameters.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde::Serialize;
use stratus_model::{ErrorKind, LambdaError};

use crate::error::ApiError;

/// Parses a JSON body; an absent body is `{}`. A non-JSON content type is a 415.
pub fn json<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    if let Some(ct) = headers.get("content-type") {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        if !ct.is_empty() && !ct.contains("json") && !body.is_empty() {
            return Err(LambdaError::new(
                ErrorKind::UnsupportedMediaType,
                format!("Unsupported content type: {ct}; this operation accepts application/json"),
            )
            .into());
        }
    }
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text).map_err(|e| {
        LambdaError::new(
            ErrorKind::InvalidRequestContent,
            format!("Could not parse request body into json: {e}"),
        )
        .into()
    })
}

/// Renders `value` as JSON with `status`.
pub fn reply<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [("content-type", "application/json")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "response did not serialise");
            ApiError(LambdaError::internal()).into_response()
        }
    }
}

/// An empty answer with `status` (204 for deletes and tag changes).
pub fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// The decoded query string, keeping repeated keys (`tagKeys=a&tagKeys=b`).
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Decodes a raw query string.
    pub fn parse(raw: &str) -> Self {
        let decode = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        Params(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (decode(k), decode(v)),
                    None => (decode(p), String::new()),
                })
                .collect(),
        )
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key`, owned.
    pub fn string(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_owned)
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// An integer parameter; a non-integer is a validation error naming it.
    pub fn int(&self, key: &str, field: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    let mut viol = stratus_model::Violations::default();
                    viol.push(&v, field, "Member must be an integer");
                    ApiError(viol.finish().err().unwrap_or_else(LambdaError::internal))
                })
            })
            .transpose()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Params::parse(parts.uri.query().unwrap_or("")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_encoded_parameters() {
        let p = Params::parse("tagKeys=a&tagKeys=b%20c&Qualifier=%24LATEST&flag");
        assert_eq!(p.all("tagKeys"), vec!["a", "b c"]);
        assert_eq!(p.get("Qualifier"), Some("$LATEST"));
        assert_eq!(p.get("flag"), Some(""));
        assert_eq!(p.get("none"), None);
    }

    #[test]
    fn bodies_decode_with_lambda_errors() {
        let mut h = HeaderMap::new();
        let v: serde_json::Value = json(&h, &Bytes::new()).unwrap();
        assert_eq!(v, serde_json::json!({}));
        let e = json::<serde_json::Value>(&h, &Bytes::from_static(b"{nope")).unwrap_err();
        assert_eq!(e.0.kind, ErrorKind::InvalidRequestContent);
        h.insert("content-type", "text/plain".parse().unwrap());
        let e = json::<serde_json::Value>(&h, &Bytes::from_static(b"{}")).unwrap_err();
        assert_eq!(e.0.kind, ErrorKind::UnsupportedMediaType);
    }
}
