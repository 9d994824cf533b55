//! Requests signed by botocore (see `gen_vectors.py`) verify; any tampering does not.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use chrono::{NaiveDateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use stratus_sigv4::{AuthError, Request, Verifier};

struct Vector {
    name: String,
    method: String,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
    now: chrono::DateTime<Utc>,
}

fn load() -> (String, String, Vec<Vector>) {
    let doc: Value = serde_json::from_str(include_str!("vectors.json")).unwrap();
    let vectors = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let mut headers = HeaderMap::new();
            for (k, val) in v["headers"].as_object().unwrap() {
                headers.insert(
                    HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()).unwrap(),
                    HeaderValue::from_str(val.as_str().unwrap()).unwrap(),
                );
            }
            let date = headers["x-amz-date"].to_str().unwrap().to_owned();
            Vector {
                name: v["name"].as_str().unwrap().into(),
                method: v["method"].as_str().unwrap().into(),
                path: v["path"].as_str().unwrap().into(),
                query: v["query"].as_str().map(str::to_owned),
                headers,
                body: v["body"].as_str().unwrap().as_bytes().to_vec(),
                now: NaiveDateTime::parse_from_str(&date, "%Y%m%dT%H%M%SZ")
                    .unwrap()
                    .and_utc(),
            }
        })
        .collect();
    (
        doc["access_key_id"].as_str().unwrap().into(),
        doc["secret"].as_str().unwrap().into(),
        vectors,
    )
}

fn check(
    v: &Vector,
    akid: &str,
    secret: &str,
    now_offset_min: i64,
    region: &str,
) -> Result<(), AuthError> {
    let verifier = Verifier {
        region,
        service: "lambda",
        now: v.now + chrono::Duration::minutes(now_offset_min),
        max_skew: chrono::Duration::minutes(15),
    };
    let req = Request {
        method: &v.method,
        raw_path: &v.path,
        raw_query: v.query.as_deref(),
        headers: &v.headers,
        body: &v.body,
    };
    verifier
        .verify(&req, |k| (k == akid).then(|| secret.to_owned()))
        .map(|_| ())
}

#[test]
fn botocore_signatures_verify() {
    let (akid, secret, vectors) = load();
    assert!(vectors.len() >= 5);
    for v in &vectors {
        check(v, &akid, &secret, 0, "us-east-1").unwrap_or_else(|e| panic!("{}: {e}", v.name));
    }
}

#[test]
fn session_tokens_are_reported() {
    let (akid, secret, vectors) = load();
    let v = vectors.iter().find(|v| v.name == "session token").unwrap();
    let verifier = Verifier {
        region: "us-east-1",
        service: "lambda",
        now: v.now,
        max_skew: chrono::Duration::minutes(15),
    };
    let req = Request {
        method: &v.method,
        raw_path: &v.path,
        raw_query: v.query.as_deref(),
        headers: &v.headers,
        body: &v.body,
    };
    let ok = verifier
        .verify(&req, |k| (k == akid).then(|| secret.clone()))
        .unwrap();
    assert_eq!(
        ok.session_token.as_deref(),
        Some("FQoGZXIvYXdzEXAMPLETOKEN")
    );
}

#[test]
fn tampering_is_detected() {
    let (akid, secret, vectors) = load();
    for v in &vectors {
        let mut t = Vector {
            path: format!("{}x", v.path),
            ..clone(v)
        };
        assert_eq!(
            check(&t, &akid, &secret, 0, "us-east-1"),
            Err(AuthError::Mismatch),
            "{} path",
            v.name
        );
        t = Vector {
            query: Some(format!("{}&extra=1", v.query.clone().unwrap_or_default())),
            ..clone(v)
        };
        assert_eq!(
            check(&t, &akid, &secret, 0, "us-east-1"),
            Err(AuthError::Mismatch),
            "{} query",
            v.name
        );
        t = Vector {
            body: b"{}tampered".to_vec(),
            ..clone(v)
        };
        assert_eq!(
            check(&t, &akid, &secret, 0, "us-east-1"),
            Err(AuthError::Mismatch),
            "{} body",
            v.name
        );
        assert_eq!(
            check(v, &akid, "wrong-secret", 0, "us-east-1"),
            Err(AuthError::Mismatch)
        );
    }
}

#[test]
fn scope_key_and_time_are_enforced() {
    let (akid, secret, vectors) = load();
    let v = &vectors[0];
    assert_eq!(
        check(v, "OTHER", &secret, 0, "us-east-1"),
        Err(AuthError::UnknownKey)
    );
    assert!(matches!(
        check(v, &akid, &secret, 0, "eu-west-1"),
        Err(AuthError::WrongScope(_))
    ));
    assert!(matches!(
        check(v, &akid, &secret, 16, "us-east-1"),
        Err(AuthError::Expired { .. })
    ));
    assert!(matches!(
        check(v, &akid, &secret, -16, "us-east-1"),
        Err(AuthError::Future { .. })
    ));
    assert!(check(v, &akid, &secret, 14, "us-east-1").is_ok());
    let mut bare = clone(v);
    bare.headers.remove("authorization");
    assert_eq!(
        check(&bare, &akid, &secret, 0, "us-east-1"),
        Err(AuthError::Missing)
    );
    let e = check(v, &akid, &secret, 16, "us-east-1").unwrap_err();
    assert_eq!(e.code(), "InvalidSignatureException");
    assert!(e.to_string().starts_with("Signature expired: "), "{e}");
}

fn clone(v: &Vector) -> Vector {
    Vector {
        name: v.name.clone(),
        method: v.method.clone(),
        path: v.path.clone(),
        query: v.query.clone(),
        headers: v.headers.clone(),
        body: v.body.clone(),
        now: v.now,
    }
}
