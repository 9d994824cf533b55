//! Requests signed by botocore (see `gen_vectors.py`) verify; any tampering does not, and
//! each way of getting it wrong gives the error AWS would.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use stratus_sigv4::{AuthError, Request, Verified, Verifier};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

#[derive(Clone)]
struct Vector {
    name: String,
    method: String,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
    signed_at: DateTime<Utc>,
    session_token: Option<String>,
    payload_signed: bool,
}

impl Vector {
    fn presigned(&self) -> bool {
        !self.headers.contains_key("authorization")
    }

    fn set_header(&mut self, name: &str, value: &str) {
        self.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }

    fn authorization(&self) -> String {
        self.headers["authorization"].to_str().unwrap().to_owned()
    }
}

fn vectors() -> Vec<Vector> {
    let doc: Value = serde_json::from_str(include_str!("vectors.json")).unwrap();
    assert_eq!(doc["access_key_id"], AKID);
    assert_eq!(doc["secret"], SECRET);
    doc["vectors"]
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
            Vector {
                name: v["name"].as_str().unwrap().into(),
                method: v["method"].as_str().unwrap().into(),
                path: v["path"].as_str().unwrap().into(),
                query: v["query"].as_str().map(str::to_owned),
                headers,
                body: v["body"].as_str().unwrap().as_bytes().to_vec(),
                signed_at: NaiveDateTime::parse_from_str(
                    v["signed_at"].as_str().unwrap(),
                    "%Y%m%dT%H%M%SZ",
                )
                .unwrap()
                .and_utc(),
                session_token: v["session_token"].as_str().map(str::to_owned),
                payload_signed: v["payload_signed"].as_bool().unwrap(),
            }
        })
        .collect()
}

fn vector(name: &str) -> Vector {
    vectors().into_iter().find(|v| v.name == name).unwrap()
}

fn verifier(v: &Vector) -> Verifier<'static> {
    Verifier {
        region: "us-east-1",
        service: "lambda",
        now: v.signed_at,
        max_skew: Duration::minutes(15),
    }
}

fn verify_with(v: &Vector, verifier: &Verifier<'_>, secret: &str) -> Result<Verified, AuthError> {
    let req = Request {
        method: &v.method,
        raw_path: &v.path,
        raw_query: v.query.as_deref(),
        headers: &v.headers,
        body: &v.body,
    };
    verifier.verify(&req, |k| (k == AKID).then(|| secret.to_owned()))
}

fn verify(v: &Vector) -> Result<Verified, AuthError> {
    verify_with(v, &verifier(v), SECRET)
}

fn verify_at(v: &Vector, offset: Duration) -> Result<Verified, AuthError> {
    let at = Verifier {
        now: v.signed_at + offset,
        ..verifier(v)
    };
    verify_with(v, &at, SECRET)
}

fn incomplete(r: Result<Verified, AuthError>) -> String {
    match r {
        Err(e @ AuthError::Incomplete(_)) => {
            assert_eq!(e.code(), "IncompleteSignatureException");
            e.to_string()
        }
        other => panic!("expected Incomplete, got {other:?}"),
    }
}

fn wrong_scope(r: Result<Verified, AuthError>) -> String {
    match r {
        Err(e @ AuthError::WrongScope(_)) => {
            assert_eq!(e.code(), "InvalidSignatureException");
            e.to_string()
        }
        other => panic!("expected WrongScope, got {other:?}"),
    }
}

#[test]
fn botocore_signatures_verify() {
    let all = vectors();
    assert!(all.len() >= 14);
    for v in &all {
        let ok = verify(v).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(ok.access_key_id, AKID, "{}", v.name);
        assert_eq!(ok.session_token, v.session_token, "{}", v.name);
        assert_eq!(ok.payload_signed, v.payload_signed, "{}", v.name);
    }
}

#[test]
fn tampering_is_detected() {
    for v in &vectors() {
        let name = &v.name;
        let mut t = v.clone();
        t.path.push('x');
        assert_eq!(verify(&t), Err(AuthError::Mismatch), "{name}: path");

        let mut t = v.clone();
        t.query = Some(match &v.query {
            Some(q) => format!("{q}&extra=1"),
            None => "extra=1".into(),
        });
        assert_eq!(verify(&t), Err(AuthError::Mismatch), "{name}: query");

        let mut t = v.clone();
        t.method = if v.method == "GET" { "HEAD" } else { "GET" }.into();
        assert_eq!(verify(&t), Err(AuthError::Mismatch), "{name}: method");

        let mut t = v.clone();
        t.set_header("host", "127.0.0.1:9071");
        assert_eq!(verify(&t), Err(AuthError::Mismatch), "{name}: host");

        let mut t = v.clone();
        t.body = b"{\"tampered\": true}".to_vec();
        if v.payload_signed {
            assert_eq!(verify(&t), Err(AuthError::Mismatch), "{name}: body");
        } else {
            // Signed as UNSIGNED-PAYLOAD: the body is not covered, and the caller is told.
            assert!(!verify(&t).unwrap().payload_signed, "{name}: body");
        }

        assert_eq!(
            verify_with(v, &verifier(v), "wrong-secret"),
            Err(AuthError::Mismatch),
            "{name}: secret"
        );

        let mut t = v.clone();
        t.headers.remove("host");
        assert!(
            incomplete(verify(&t)).contains("'host'"),
            "{name}: host removed"
        );
    }
}

#[test]
fn signed_headers_are_all_covered() {
    let v = vector("invoke");
    let mut t = v.clone();
    t.set_header("x-amz-invocation-type", "Event");
    assert_eq!(verify(&t), Err(AuthError::Mismatch));
    let mut t = v.clone();
    t.set_header("x-amz-security-token", "OTHERTOKEN");
    assert_eq!(verify(&t), Err(AuthError::Mismatch));
    // Whitespace around and inside a value is not significant.
    let mut t = v.clone();
    t.set_header("x-amz-invocation-type", "  RequestResponse ");
    assert!(verify(&t).is_ok());
    // An unsigned header may be added freely.
    let mut t = v;
    t.set_header("user-agent", "aws-cli/2");
    assert!(verify(&t).is_ok());
}

#[test]
fn declared_payload_hash_must_match_the_body() {
    let v = vector("content sha256 header");
    let mut t = v.clone();
    t.body.push(b' ');
    assert_eq!(verify(&t), Err(AuthError::Mismatch));
    let mut t = v;
    t.set_header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    assert!(incomplete(verify(&t)).contains("x-amz-content-sha256"));
}

#[test]
fn scope_is_enforced() {
    let v = vector("arn path");
    assert_eq!(
        verify_with(&v, &verifier(&v), SECRET)
            .unwrap()
            .access_key_id,
        AKID
    );

    let mut t = v.clone();
    t.set_header(
        "authorization",
        &v.authorization().replace(AKID, "AKIDOTHER"),
    );
    let e = verify(&t).unwrap_err();
    assert_eq!(e, AuthError::UnknownKey);
    assert_eq!(e.code(), "UnrecognizedClientException");
    assert_eq!(
        e.to_string(),
        "The security token included in the request is invalid."
    );

    let west = Verifier {
        region: "eu-west-1",
        ..verifier(&v)
    };
    assert_eq!(
        wrong_scope(verify_with(&v, &west, SECRET)),
        "Credential should be scoped to a valid region, not 'us-east-1'."
    );

    let logs = Verifier {
        service: "logs",
        ..verifier(&v)
    };
    assert_eq!(
        wrong_scope(verify_with(&v, &logs, SECRET)),
        "Credential should be scoped to correct service: 'logs'."
    );

    let mut t = v.clone();
    t.set_header(
        "authorization",
        &v.authorization().replace("aws4_request", "aws5_request"),
    );
    assert!(wrong_scope(verify(&t)).contains("terminator"));

    // The credential date must be the day of X-Amz-Date.
    let mut t = v.clone();
    t.set_header("x-amz-date", "20261124T002021Z");
    t.signed_at += Duration::days(1);
    assert!(wrong_scope(verify(&t)).contains("'20261123' != '20261124'"));
}

#[test]
fn signing_time_is_enforced_both_ways() {
    let v = vector("arn path");
    for ok in [-15, -14, 14, 15] {
        assert!(verify_at(&v, Duration::minutes(ok)).is_ok(), "{ok} min");
    }
    let e = verify_at(&v, Duration::minutes(25)).unwrap_err();
    assert!(matches!(e, AuthError::Expired { .. }));
    assert_eq!(e.code(), "InvalidSignatureException");
    assert_eq!(
        e.to_string(),
        "Signature expired: 20261123T002021Z is now earlier than 20261123T003021Z (20261123T004521Z - 15 min.)"
    );
    let e = verify_at(&v, Duration::minutes(-25)).unwrap_err();
    assert!(matches!(e, AuthError::Future { .. }));
    assert_eq!(e.code(), "InvalidSignatureException");
    assert_eq!(
        e.to_string(),
        "Signature not yet current: 20261123T002021Z is still later than 20261123T001021Z (20261122T235521Z + 15 min.)"
    );
    assert!(matches!(
        verify_at(&v, Duration::seconds(15 * 60 + 1)),
        Err(AuthError::Expired { .. })
    ));
    assert!(matches!(
        verify_at(&v, -Duration::seconds(15 * 60 + 1)),
        Err(AuthError::Future { .. })
    ));
}

#[test]
fn date_header_stands_in_for_x_amz_date() {
    let v = vector("date header");
    assert!(!v.headers.contains_key("x-amz-date"));
    assert!(verify(&v).is_ok());
    let mut t = v.clone();
    t.set_header("date", "Mon, 23 Nov 2026 00:20:22 GMT");
    assert_eq!(verify(&t), Err(AuthError::Mismatch));
    let mut t = v.clone();
    t.set_header("date", "Tue, 24 Nov 2026 00:20:21 GMT");
    t.signed_at += Duration::days(1);
    assert!(wrong_scope(verify(&t)).contains("does not match"));
}

#[test]
fn missing_and_malformed_signatures() {
    let v = vector("arn path");
    let mut t = v.clone();
    t.headers.remove("authorization");
    let e = verify(&t).unwrap_err();
    assert_eq!(e, AuthError::Missing);
    assert_eq!(e.code(), "MissingAuthenticationTokenException");
    assert_eq!(e.to_string(), "Missing Authentication Token");

    let mut t = v.clone();
    t.headers.remove("x-amz-date");
    assert!(incomplete(verify(&t)).contains("'X-Amz-Date'"));

    let mut t = v.clone();
    let auth = v.authorization();
    t.set_header("authorization", &auth[..auth.find(", Signature=").unwrap()]);
    let msg = incomplete(verify(&t));
    assert!(msg.contains("'Signature'"), "{msg}");

    for bad in [
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/lambda, SignedHeaders=host;x-amz-date, Signature=00",
        "AWS4-HMAC-SHA256",
        "Bearer abc",
    ] {
        let mut t = v.clone();
        t.set_header("authorization", bad);
        incomplete(verify(&t));
    }

    let mut t = v.clone();
    t.set_header("x-amz-date", "2026-11-23T00:20:21Z");
    // The credential date no longer prefixes the time: the scope check says so first.
    wrong_scope(verify(&t));
    let mut t = v.clone();
    t.set_header("x-amz-date", "20261123T0020Z");
    assert!(incomplete(verify(&t)).contains("X-Amz-Date"));

    let mut t = v;
    t.set_header(
        "authorization",
        &t.authorization()
            .replace("SignedHeaders=host;", "SignedHeaders="),
    );
    assert!(incomplete(verify(&t)).contains("host"));
}

#[test]
fn presigned_requests() {
    let v = vector("presigned");
    assert!(v.presigned());
    assert!(verify_at(&v, Duration::seconds(300)).is_ok());
    let e = verify_at(&v, Duration::seconds(301)).unwrap_err();
    assert!(matches!(e, AuthError::Expired { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(
            "Signature expired: 20261123T002021Z is now earlier than 20261123T002022Z"
        ),
        "{e}"
    );
    assert!(matches!(
        verify_at(&v, Duration::minutes(-16)),
        Err(AuthError::Future { .. })
    ));

    let q = v.query.clone().unwrap();
    let mut t = v.clone();
    t.query = Some(q.replace("X-Amz-Expires=300", "X-Amz-Expires=3000"));
    assert_eq!(verify(&t), Err(AuthError::Mismatch), "expiry is signed");
    let mut t = v.clone();
    t.query = Some(q.replace("FQoGZXIvYXdzEXAMPLETOKEN", "OTHERTOKEN"));
    assert_eq!(verify(&t), Err(AuthError::Mismatch), "token is signed");
    let mut t = v.clone();
    t.query = Some(q.replace("X-Amz-Signature=3", "X-Amz-Signature=4"));
    assert_eq!(verify(&t), Err(AuthError::Mismatch));

    let mut t = v.clone();
    t.query = Some(q[..q.find("&X-Amz-Signature=").unwrap()].to_owned());
    assert!(incomplete(verify(&t)).contains("X-Amz-Signature"));
    let mut t = v.clone();
    t.query = Some(q.replace("X-Amz-Expires=300", "X-Amz-Expires=604801"));
    assert!(incomplete(verify(&t)).contains("X-Amz-Expires"));

    // Both mechanisms at once is refused, not resolved in either's favour.
    let mut t = v.clone();
    t.set_header("authorization", &vector("arn path").authorization());
    assert!(incomplete(verify(&t)).contains("Only one auth mechanism"));

    let mut t = v;
    t.query = Some("Qualifier=live".into());
    assert_eq!(verify(&t), Err(AuthError::Missing));
}
