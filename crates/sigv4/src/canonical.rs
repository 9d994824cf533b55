//! The canonical request: the exact text both sides hash and sign.

use http::HeaderMap;
use percent_encoding::{
    percent_decode_str, percent_encode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC,
};
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

/// The six lines of a canonical request.
pub(crate) fn request(
    method: &str,
    uri: &str,
    query: &str,
    headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    format!("{method}\n{uri}\n{query}\n{headers}\n{signed_headers}\n{payload_hash}")
}

/// Removes `.`, `..` and empty segments, keeping a leading and trailing `/`, as botocore
/// (and so the AWS CLI) does before signing.
fn normalize_path(path: &str) -> String {
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
    let mut text = String::with_capacity(path.len() + 1);
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

/// The canonical URIs a client may have signed for `raw_path`: [`uri`] first, then, if it
/// differs, the path encoded again as sent (signers that leave `.`, `..` and `//` alone).
pub(crate) fn uri_candidates(raw_path: &str) -> Vec<String> {
    let normalized = uri(raw_path);
    let as_sent = if raw_path.is_empty() {
        "/".to_owned()
    } else {
        utf8_percent_encode(raw_path, PATH).to_string()
    };
    if as_sent == normalized {
        vec![normalized]
    } else {
        vec![normalized, as_sent]
    }
}

/// The canonical query string: each name and value percent-decoded to bytes and encoded
/// again (so `%3a`, `:` and `%3A` agree), sorted by name then value; the pair named
/// `skip` is left out. `+` is a literal plus: the SDKs send a space as `%20`.
pub(crate) fn query(raw: Option<&str>, skip: Option<&str>) -> String {
    let encode = |s: &str| {
        let bytes: Vec<u8> = percent_decode_str(s).collect();
        percent_encode(&bytes, UNRESERVED).to_string()
    };
    let skip = skip.map(|s| s.as_bytes());
    let mut pairs: Vec<(String, String)> = split_query(raw)
        .filter(|(k, _)| skip != Some(&percent_decode_str(k).collect::<Vec<u8>>()[..]))
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Raw `name=value` pairs; a name without `=` has an empty value.
fn split_query(raw: Option<&str>) -> impl Iterator<Item = (&str, &str)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// Query pairs, percent-decoded to text (for reading the `X-Amz-*` parameters).
pub(crate) fn decode_query(raw: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    split_query(raw)
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// Trims the value and collapses each run of whitespace to one space (botocore's rule).
fn collapse_spaces(value: &str) -> String {
    value.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical headers block for the signed header names, each line `name:value\n`;
/// repeated headers are joined with `,`.
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
                "The signed header '{name}' is not present in the request."
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
        assert_eq!(uri("/a b/~x"), "/a%20b/~x");
    }

    #[test]
    fn paths_are_normalised_like_botocore() {
        assert_eq!(uri("/a/./b/../c//d"), "/a/c/d");
        assert_eq!(uri("/.."), "/");
        assert_eq!(uri("//"), "/");
        assert_eq!(uri("/a/b/.."), "/a");
        assert_eq!(uri("/a/b/../"), "/a/");
        assert_eq!(uri_candidates("/a/b"), ["/a/b"]);
        assert_eq!(uri_candidates(""), ["/"]);
        assert_eq!(uri_candidates("/a/./b"), ["/a/b", "/a/./b"]);
    }

    #[test]
    fn query_is_sorted_and_reencoded() {
        assert_eq!(query(Some("b=2&a=x%20y&a=1&c"), None), "a=1&a=x%20y&b=2&c=");
        assert_eq!(
            query(Some("Qualifier=%24LATEST"), None),
            "Qualifier=%24LATEST"
        );
        assert_eq!(
            query(Some("m=a:b&n=a%3ab&o=a+b"), None),
            "m=a%3Ab&n=a%3Ab&o=a%2Bb"
        );
        assert_eq!(query(Some("k=%FF%fe"), None), "k=%FF%FE");
        assert_eq!(query(Some("a=1&&b"), None), "a=1&b=");
        assert_eq!(
            query(Some("X-Amz-Signature=ab&z=1"), Some("X-Amz-Signature")),
            "z=1"
        );
        assert_eq!(query(None, None), "");
        assert_eq!(query(Some(""), None), "");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let mut h = HeaderMap::new();
        h.insert("host", "example.com".parse().unwrap());
        h.append("x-multi", "  a   b\t c ".parse().unwrap());
        h.append("x-multi", "c".parse().unwrap());
        let signed = vec!["host".to_string(), "x-multi".to_string()];
        assert_eq!(
            headers(&h, &signed).unwrap(),
            "host:example.com\nx-multi:a b c,c\n"
        );
        assert!(matches!(
            headers(&h, &["x-absent".to_string()]),
            Err(AuthError::Incomplete(_))
        ));
        assert!(headers(&h, &["not a name".to_string()]).is_err());
    }
}
