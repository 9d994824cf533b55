//! Recomputing a request's signature and comparing it with the one sent.

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::Mac;
use http::HeaderMap;

use crate::canonical;
use crate::error::AuthError;
use crate::key::{self, Scope, AMZ_DATE_FORMAT, TERMINATOR};
use crate::parse::{self, Claim};

/// The payload hash of a request whose body the signature does not cover.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The header carrying a session token.
const SECURITY_TOKEN_HEADER: &str = "x-amz-security-token";
/// The query parameter carrying a session token in a presigned request.
const SECURITY_TOKEN_PARAM: &str = "X-Amz-Security-Token";

/// A request as received: nothing decoded or normalised yet.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// The path exactly as on the wire, still percent-encoded.
    pub raw_path: &'a str,
    /// The query string exactly as on the wire, without `?`.
    pub raw_query: Option<&'a str>,
    /// All request headers.
    pub headers: &'a HeaderMap,
    /// The complete body.
    pub body: &'a [u8],
}

/// What a signature must be scoped to, and when.
#[derive(Debug, Clone)]
pub struct Verifier<'a> {
    /// Our region.
    pub region: &'a str,
    /// The signing name, e.g. `lambda`.
    pub service: &'a str,
    /// The current time.
    pub now: DateTime<Utc>,
    /// How far the signing time may be from `now` (AWS allows 15 minutes).
    pub max_skew: chrono::Duration,
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key it was signed with.
    pub access_key_id: String,
    /// The session token it carried (signed header, or presigned query parameter).
    pub session_token: Option<String>,
    /// Whether the signature covers the body; `false` when the client signed
    /// `UNSIGNED-PAYLOAD`, so the body may have been changed in transit.
    pub payload_signed: bool,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Verifier<'_> {
    /// Whether a credential scoped to `service` is meant for us. One place to widen
    /// when a second signing name (e.g. `logs`) is served by the same verifier.
    fn accepts_service(&self, service: &str) -> bool {
        service == self.service
    }

    fn check_scope(&self, claim: &Claim) -> Result<(), AuthError> {
        if claim.terminator != TERMINATOR {
            return Err(AuthError::WrongScope(format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
                claim.terminator
            )));
        }
        if !self.accepts_service(&claim.service) {
            return Err(AuthError::WrongScope(format!(
                "Credential should be scoped to correct service: '{}'.",
                self.service
            )));
        }
        if claim.region != self.region {
            return Err(AuthError::WrongScope(format!(
                "Credential should be scoped to a valid region, not '{}'.",
                claim.region
            )));
        }
        if claim.date.len() != 8 || !claim.amz_date.starts_with(&claim.date) {
            return Err(AuthError::WrongScope(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
                claim.date,
                claim.amz_date.get(..8).unwrap_or(&claim.amz_date),
                claim.amz_date
            )));
        }
        if !claim.signed_headers.iter().any(|h| h == "host") {
            return Err(AuthError::Incomplete(
                "The host header must be signed.".into(),
            ));
        }
        Ok(())
    }

    /// Header auth: within `max_skew` either way. Presigned: not past `X-Amz-Expires`
    /// after signing, and not signed more than `max_skew` ahead of us.
    fn check_time(&self, claim: &Claim, signed_at: DateTime<Utc>) -> Result<(), AuthError> {
        let fmt = |t: DateTime<Utc>| t.format(AMZ_DATE_FORMAT).to_string();
        let window = claim
            .expires
            .map(chrono::Duration::seconds)
            .unwrap_or(self.max_skew);
        if signed_at + window < self.now {
            return Err(AuthError::Expired {
                request_time: claim.amz_date.clone(),
                earliest: fmt(self.now - window),
                now: fmt(self.now),
                minutes: window.num_minutes(),
            });
        }
        if signed_at > self.now + self.max_skew {
            return Err(AuthError::Future {
                request_time: claim.amz_date.clone(),
                latest: fmt(self.now + self.max_skew),
                now: fmt(self.now),
                minutes: self.max_skew.num_minutes(),
            });
        }
        Ok(())
    }

    /// The payload hashes the client may have signed, each with whether it covers the body.
    /// A declared `x-amz-content-sha256` is taken as is (a real hash must match the body);
    /// otherwise the body's hash, and for presigned requests also `UNSIGNED-PAYLOAD`
    /// (botocore presigns with the body hash, S3-style presigners with the constant).
    fn payload_hashes(
        &self,
        req: &Request<'_>,
        presigned: bool,
    ) -> Result<Vec<(String, bool)>, AuthError> {
        let body_hash = canonical::sha256_hex(req.body);
        match header(req.headers, "x-amz-content-sha256").map(str::trim) {
            Some(UNSIGNED_PAYLOAD) => Ok(vec![(UNSIGNED_PAYLOAD.to_owned(), false)]),
            Some(declared) if declared.len() == 64 && hex::decode(declared).is_ok() => {
                if declared.eq_ignore_ascii_case(&body_hash) {
                    Ok(vec![(declared.to_owned(), true)])
                } else {
                    Err(AuthError::Mismatch)
                }
            }
            Some(other) => Err(AuthError::Incomplete(format!(
                "x-amz-content-sha256 must be the hex SHA-256 of the body or {UNSIGNED_PAYLOAD}, not '{other}'."
            ))),
            None if presigned => Ok(vec![
                (body_hash, true),
                (UNSIGNED_PAYLOAD.to_owned(), false),
            ]),
            None => Ok(vec![(body_hash, true)]),
        }
    }

    /// The session token, which must be covered by the signature if present.
    fn session_token(claim: &Claim, req: &Request<'_>) -> Result<Option<String>, AuthError> {
        if claim.expires.is_some() {
            let from_query = canonical::decode_query(req.raw_query)
                .into_iter()
                .find(|(k, _)| k == SECURITY_TOKEN_PARAM)
                .map(|(_, v)| v);
            if from_query.is_some() {
                return Ok(from_query);
            }
        }
        let Some(value) = req.headers.get(SECURITY_TOKEN_HEADER) else {
            return Ok(None);
        };
        if !claim
            .signed_headers
            .iter()
            .any(|h| h == SECURITY_TOKEN_HEADER)
        {
            return Err(AuthError::Incomplete(
                "The X-Amz-Security-Token header must be signed.".into(),
            ));
        }
        let token = value.to_str().map_err(|_| {
            AuthError::Incomplete("The X-Amz-Security-Token header is not visible ASCII.".into())
        })?;
        Ok(Some(token.trim().to_owned()))
    }

    /// Verifies `req`; `secret_for` maps a known access key id to its secret.
    ///
    /// Checks run in this order: signature present and well formed, key known, scope,
    /// time, then the signature itself.
    pub fn verify(
        &self,
        req: &Request<'_>,
        secret_for: impl Fn(&str) -> Option<String>,
    ) -> Result<Verified, AuthError> {
        let claim = parse::claim(req.headers, req.raw_query)?;
        let secret = secret_for(&claim.access_key_id).ok_or(AuthError::UnknownKey)?;
        self.check_scope(&claim)?;
        let signed_at = NaiveDateTime::parse_from_str(&claim.amz_date, AMZ_DATE_FORMAT)
            .map_err(|_| {
                AuthError::Incomplete(format!(
                    "X-Amz-Date must be in the form YYYYMMDD'T'HHMMSS'Z', not '{}'.",
                    claim.amz_date
                ))
            })?
            .and_utc();
        self.check_time(&claim, signed_at)?;
        let session_token = Self::session_token(&claim, req)?;

        let presigned = claim.expires.is_some();
        let query = canonical::query(req.raw_query, presigned.then_some("X-Amz-Signature"));
        let headers = canonical::headers(req.headers, &claim.signed_headers)?;
        let signed_headers = claim.signed_headers.join(";");
        let payloads = self.payload_hashes(req, presigned)?;
        let sent = hex::decode(&claim.signature).map_err(|_| AuthError::Mismatch)?;
        let scope = Scope {
            date: &claim.date,
            region: &claim.region,
            service: &claim.service,
        };
        let signing_key = key::signing_key(&secret, scope);
        // Usually one candidate; more only for a path with `.`/`..`/`//` or a presigned
        // request without x-amz-content-sha256. Each is compared in constant time.
        let payload_signed = canonical::uri_candidates(req.raw_path)
            .iter()
            .flat_map(|uri| payloads.iter().map(move |p| (uri, p)))
            .find_map(|(uri, (payload_hash, covers_body))| {
                let canonical_request = canonical::request(
                    req.method,
                    uri,
                    &query,
                    &headers,
                    &signed_headers,
                    payload_hash,
                );
                key::signature_mac(&signing_key, scope, &claim.amz_date, &canonical_request)
                    .verify_slice(&sent)
                    .ok()
                    .map(|()| *covers_body)
            })
            .ok_or(AuthError::Mismatch)?;
        Ok(Verified {
            access_key_id: claim.access_key_id,
            session_token,
            payload_signed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const VANILLA_SIG: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    fn at(amz_date: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(amz_date, AMZ_DATE_FORMAT)
            .unwrap()
            .and_utc()
    }

    fn vanilla_headers(signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        headers.insert(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}")
                .parse()
                .unwrap(),
        );
        headers
    }

    fn vanilla_verifier() -> Verifier<'static> {
        Verifier {
            region: "us-east-1",
            service: "service",
            now: at("20150830T123600Z"),
            max_skew: chrono::Duration::minutes(15),
        }
    }

    fn verify_vanilla(v: &Verifier<'_>, headers: &HeaderMap) -> Result<Verified, AuthError> {
        let req = Request {
            method: "GET",
            raw_path: "/",
            raw_query: None,
            headers,
            body: b"",
        };
        v.verify(&req, |k| (k == "AKIDEXAMPLE").then(|| SECRET.to_owned()))
    }

    /// AWS's published SigV4 test-suite case "get-vanilla".
    #[test]
    fn aws_get_vanilla() {
        let ok = verify_vanilla(&vanilla_verifier(), &vanilla_headers(VANILLA_SIG)).unwrap();
        assert_eq!(
            ok,
            Verified {
                access_key_id: "AKIDEXAMPLE".into(),
                session_token: None,
                payload_signed: true,
            }
        );
        // Upper-case hex is the same signature.
        assert!(verify_vanilla(
            &vanilla_verifier(),
            &vanilla_headers(&VANILLA_SIG.to_ascii_uppercase())
        )
        .is_ok());
        let flipped = format!("{}0", &VANILLA_SIG[..63]);
        for bad in [flipped.as_str(), &VANILLA_SIG[..62], "zz", ""] {
            assert_eq!(
                verify_vanilla(&vanilla_verifier(), &vanilla_headers(bad)),
                Err(AuthError::Mismatch),
                "{bad}"
            );
        }
    }

    #[test]
    fn vanilla_scope_and_time() {
        let headers = vanilla_headers(VANILLA_SIG);
        let other = Verifier {
            service: "lambda",
            ..vanilla_verifier()
        };
        let e = verify_vanilla(&other, &headers).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Credential should be scoped to correct service: 'lambda'."
        );
        assert_eq!(e.code(), "InvalidSignatureException");

        let late = Verifier {
            now: at("20150830T125101Z"),
            ..vanilla_verifier()
        };
        let e = verify_vanilla(&late, &headers).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)"
        );
        assert_eq!(e.code(), "InvalidSignatureException");
        let early = Verifier {
            now: at("20150830T122059Z"),
            ..vanilla_verifier()
        };
        let e = verify_vanilla(&early, &headers).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)"
        );
        assert_eq!(e.code(), "InvalidSignatureException");
        for edge in ["20150830T125100Z", "20150830T122100Z"] {
            let v = Verifier {
                now: at(edge),
                ..vanilla_verifier()
            };
            assert!(verify_vanilla(&v, &headers).is_ok(), "{edge}");
        }
    }

    #[test]
    fn unsigned_session_token_is_refused() {
        let mut headers = vanilla_headers(VANILLA_SIG);
        headers.insert("x-amz-security-token", "TOKEN".parse().unwrap());
        assert!(matches!(
            verify_vanilla(&vanilla_verifier(), &headers),
            Err(AuthError::Incomplete(m)) if m.contains("X-Amz-Security-Token")
        ));
    }
}
