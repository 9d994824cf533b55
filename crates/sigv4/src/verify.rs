//! Recomputing a request's signature and comparing it with the one sent.

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;

use crate::canonical;
use crate::error::AuthError;
use crate::parse::{self, Claim, ALGORITHM};

type HmacSha256 = Hmac<Sha256>;

pub(crate) const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

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
    /// How far the signing time may be from `now`.
    pub max_skew: chrono::Duration,
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key it was signed with.
    pub access_key_id: String,
    /// The session token it carried, if any.
    pub session_token: Option<String>,
}

fn hmac(key: &[u8], data: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; new_from_slice cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("hmac accepts any key length"));
    mac.update(data);
    mac
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The signing key: HMAC chain over date, region, service and terminator.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes())
        .finalize()
        .into_bytes();
    let k_region = hmac(&k_date, region.as_bytes()).finalize().into_bytes();
    let k_service = hmac(&k_region, service.as_bytes()).finalize().into_bytes();
    hmac(&k_service, b"aws4_request")
        .finalize()
        .into_bytes()
        .to_vec()
}

/// The keyed MAC over the string to sign; finalising it gives the signature.
pub(crate) fn signature_mac(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    amz_date: &str,
    canonical_request: &str,
) -> HmacSha256 {
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        canonical::sha256_hex(canonical_request.as_bytes())
    );
    hmac(
        &signing_key(secret, date, region, service),
        string_to_sign.as_bytes(),
    )
}

impl Verifier<'_> {
    fn claim(&self, req: &Request<'_>) -> Result<(Claim, String), AuthError> {
        if let Some(value) = header(req.headers, "authorization") {
            let claim = parse::authorization_header(value)?;
            let amz_date = match header(req.headers, "x-amz-date") {
                Some(d) => d.to_owned(),
                None => header(req.headers, "date")
                    .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
                    .map(|d| d.with_timezone(&Utc).format(AMZ_DATE_FORMAT).to_string())
                    .ok_or_else(|| {
                        AuthError::Incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into())
                    })?,
            };
            return Ok((claim, amz_date));
        }
        let pairs = canonical::decode_query(req.raw_query);
        match parse::query(&pairs)? {
            Some(claim) => {
                let amz_date = claim.amz_date.clone().unwrap_or_default();
                Ok((claim, amz_date))
            }
            None => Err(AuthError::Missing),
        }
    }

    fn check_scope(&self, claim: &Claim, amz_date: &str) -> Result<(), AuthError> {
        if claim.terminator != "aws4_request" {
            return Err(AuthError::WrongScope(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
                claim.terminator
            )));
        }
        if claim.service != self.service {
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
        if !amz_date.starts_with(&claim.date) || claim.date.len() != 8 {
            return Err(AuthError::WrongScope(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'",
                claim.date,
                amz_date.get(..8).unwrap_or(amz_date)
            )));
        }
        if !claim.signed_headers.iter().any(|h| h == "host") {
            return Err(AuthError::Incomplete(
                "the host header must be signed".into(),
            ));
        }
        Ok(())
    }

    fn check_time(
        &self,
        claim: &Claim,
        signed_at: DateTime<Utc>,
        amz_date: &str,
    ) -> Result<(), AuthError> {
        let fmt = |t: DateTime<Utc>| t.format(AMZ_DATE_FORMAT).to_string();
        let minutes = self.max_skew.num_minutes();
        let oldest = match claim.expires {
            Some(secs) => signed_at + chrono::Duration::seconds(secs),
            None => signed_at + self.max_skew,
        };
        if self.now > oldest {
            return Err(AuthError::Expired {
                request_time: amz_date.to_owned(),
                earliest: fmt(self.now - self.max_skew),
                now: fmt(self.now),
                minutes,
            });
        }
        if signed_at > self.now + self.max_skew {
            return Err(AuthError::Future {
                request_time: amz_date.to_owned(),
                latest: fmt(self.now + self.max_skew),
                now: fmt(self.now),
                minutes,
            });
        }
        Ok(())
    }

    fn payload_hash(&self, req: &Request<'_>, presigned: bool) -> Result<String, AuthError> {
        match header(req.headers, "x-amz-content-sha256") {
            Some(UNSIGNED_PAYLOAD) => Ok(UNSIGNED_PAYLOAD.to_owned()),
            Some(declared) => {
                if !declared.eq_ignore_ascii_case(&canonical::sha256_hex(req.body)) {
                    return Err(AuthError::Mismatch);
                }
                Ok(declared.to_owned())
            }
            None if presigned => Ok(UNSIGNED_PAYLOAD.to_owned()),
            None => Ok(canonical::sha256_hex(req.body)),
        }
    }

    /// Verifies `req`; `secret_for` maps a known access key id to its secret.
    pub fn verify(
        &self,
        req: &Request<'_>,
        secret_for: impl Fn(&str) -> Option<String>,
    ) -> Result<Verified, AuthError> {
        let (claim, amz_date) = self.claim(req)?;
        let secret = secret_for(&claim.access_key_id).ok_or(AuthError::UnknownKey)?;
        self.check_scope(&claim, &amz_date)?;
        let signed_at = NaiveDateTime::parse_from_str(&amz_date, AMZ_DATE_FORMAT)
            .map_err(|_| {
                AuthError::Incomplete(format!(
                    "X-Amz-Date '{amz_date}' is not in the form YYYYMMDDTHHMMSSZ"
                ))
            })?
            .and_utc();
        self.check_time(&claim, signed_at, &amz_date)?;
        let presigned = claim.expires.is_some();
        let canonical_request = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            req.method,
            canonical::uri(req.raw_path),
            canonical::query(req.raw_query, presigned.then_some("X-Amz-Signature")),
            canonical::headers(req.headers, &claim.signed_headers)?,
            claim.signed_headers.join(";"),
            self.payload_hash(req, presigned)?,
        );
        let sent = hex::decode(&claim.signature).map_err(|_| AuthError::Mismatch)?;
        signature_mac(
            &secret,
            &claim.date,
            &claim.region,
            &claim.service,
            &amz_date,
            &canonical_request,
        )
        .verify_slice(&sent) // constant-time comparison
        .map_err(|_| AuthError::Mismatch)?;
        let session_token = header(req.headers, "x-amz-security-token")
            .map(str::to_owned)
            .or_else(|| {
                canonical::decode_query(req.raw_query)
                    .into_iter()
                    .find(|(k, _)| k == "X-Amz-Security-Token")
                    .map(|(_, v)| v)
            });
        Ok(Verified {
            access_key_id: claim.access_key_id,
            session_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published SigV4 test-suite case "get-vanilla".
    #[test]
    fn aws_get_vanilla() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
                .parse()
                .unwrap(),
        );
        let verifier = Verifier {
            region: "us-east-1",
            service: "service",
            now: NaiveDateTime::parse_from_str("20150830T123600Z", AMZ_DATE_FORMAT)
                .unwrap()
                .and_utc(),
            max_skew: chrono::Duration::minutes(15),
        };
        let req = Request {
            method: "GET",
            raw_path: "/",
            raw_query: None,
            headers: &headers,
            body: b"",
        };
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let ok = verifier
            .verify(&req, |k| (k == "AKIDEXAMPLE").then(|| secret.to_owned()))
            .unwrap();
        assert_eq!(ok.access_key_id, "AKIDEXAMPLE");
        let other = Verifier {
            service: "lambda",
            ..verifier
        };
        assert!(matches!(
            other.verify(&req, |_| Some(secret.to_owned())),
            Err(AuthError::WrongScope(_))
        ));
    }
}
