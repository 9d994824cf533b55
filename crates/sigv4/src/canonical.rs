//! The canonical request: the exact text both sides hash and sign.

use http::HeaderMap;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::error::AuthError;

/// Everything but RFC 3986's unreserved characters is encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// As [`UNRESERVED`], but `/` is kept (paths).
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// `hex(sha256(bytes))`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Removes `.` and `..` and empty segments, keeping a leading and trailing `/`.
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut text = String::with_capacity(path.len());
    text.push('/');
    text.push_str(&out.join("/"));
    if path.ends_with('/') && !out.is_empty() {
        text.push('/');
    }
    text
}

/// The canonical URI: the wire path (still percent-encoded), normalised, encoded again.
/// Encoding the already-encoded path is the "double encoding" every service but S3 uses:
/// `arn%3Aaws` becomes `arn%253Aaws`.
pub(crate) fn uri(raw_path: &str) -> String {
    utf8_percent_encode(&normalize_path(raw_path), PATH).to_string()
}

/// The canonical query string: pairs decoded, re-encoded, sorted; `skip` names left out.
pub(crate) fn query(raw: Option<&str>, skip: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = decode_query(raw)
        .into_iter()
        .filter(|(k, _)| Some(k.as_str()) != skip)
        .map(|(k, v)| {
            (
                utf8_percent_encode(&k, UNRESERVED).to_string(),
                utf8_percent_encode(&v, UNRESERVED).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Query pairs, percent-decoded (`+` is a literal plus, as the SDKs encode spaces as `%20`).
pub(crate) fn decode_query(raw: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn collapse_spaces(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut last_space = false;
    for c in value.trim().chars() {
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out
}

/// The canonical headers block for the signed header names, each line `name:value\n`.
pub(crate) fn headers(map: &HeaderMap, signed: &[String]) -> Result<String, AuthError> {
    let mut out = String::new();
    for name in signed {
        let values: Vec<String> = map
            .get_all(name.as_str())
            .iter()
            .map(|v| collapse_spaces(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        if values.is_empty() {
            return Err(AuthError::Incomplete(format!(
                "the signed header '{name}' is not present in the request"
            )));
        }
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_twice() {
        assert_eq!(uri(""), "/");
        assert_eq!(uri("/"), "/");
        assert_eq!(
            uri("/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/invocations"),
            "/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012%253Afunction%253Af/invocations"
        );
        assert_eq!(uri("/2015-03-31/functions/"), "/2015-03-31/functions/");
        assert_eq!(uri("/a/./b/../c//d"), "/a/c/d");
    }

    #[test]
    fn query_is_sorted_and_reencoded() {
        assert_eq!(query(Some("b=2&a=x%20y&a=1&c"), None), "a=1&a=x%20y&b=2&c=");
        assert_eq!(
            query(Some("Qualifier=%24LATEST"), None),
            "Qualifier=%24LATEST"
        );
        assert_eq!(
            query(Some("X-Amz-Signature=ab&z=1"), Some("X-Amz-Signature")),
            "z=1"
        );
        assert_eq!(query(None, None), "");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let mut h = HeaderMap::new();
        h.insert("host", "example.com".parse().unwrap());
        h.append("x-multi", "  a   b ".parse().unwrap());
        h.append("x-multi", "c".parse().unwrap());
        let signed = vec!["host".to_string(), "x-multi".to_string()];
        assert_eq!(
            headers(&h, &signed).unwrap(),
            "host:example.com\nx-multi:a b,c\n"
        );
        assert!(headers(&h, &["x-absent".to_string()]).is_err());
    }
}
