//! Signing outgoing requests: the same canonical form, for Stratus's own tools and tests.

use chrono::{DateTime, Utc};
use hmac::Mac;

use crate::canonical;
use crate::key::{self, Scope, AMZ_DATE_FORMAT};

/// The headers to add to a request so that it carries a SigV4 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// `X-Amz-Date`.
    pub amz_date: String,
    /// `Authorization`.
    pub authorization: String,
}

/// A key and scope to sign requests with.
#[derive(Debug, Clone)]
pub struct Signer<'a> {
    /// Access key id.
    pub access_key_id: &'a str,
    /// Secret access key.
    pub secret: &'a str,
    /// Region of the scope.
    pub region: &'a str,
    /// Signing name of the service, e.g. `lambda`.
    pub service: &'a str,
}

impl Signer<'_> {
    /// Signs a request that will carry exactly `host` and `x-amz-date` as signed headers.
    pub fn sign(
        &self,
        method: &str,
        raw_path: &str,
        raw_query: Option<&str>,
        host: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Signed {
        let amz_date = now.format(AMZ_DATE_FORMAT).to_string();
        let date = now.format("%Y%m%d").to_string();
        let canonical_request = canonical::request(
            method,
            &canonical::uri(raw_path),
            &canonical::query(raw_query, None),
            &format!("host:{host}\nx-amz-date:{amz_date}\n"),
            "host;x-amz-date",
            &canonical::sha256_hex(body),
        );
        let (region, service) = (self.region, self.service);
        let scope = Scope {
            date: &date,
            region,
            service,
        };
        let sig = key::signature_mac(
            &key::signing_key(self.secret, scope),
            scope,
            &amz_date,
            &canonical_request,
        )
        .finalize()
        .into_bytes();
        Signed {
            authorization: format!(
                "AWS4-HMAC-SHA256 Credential={}/{date}/{region}/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
                self.access_key_id,
                hex::encode(sig)
            ),
            amz_date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Request, Verifier};
    use http::HeaderMap;

    /// The signer reproduces AWS's "get-vanilla" test-suite signature.
    #[test]
    fn signs_get_vanilla() {
        let now = chrono::NaiveDate::from_ymd_opt(2015, 8, 30)
            .and_then(|d| d.and_hms_opt(12, 36, 0))
            .unwrap()
            .and_utc();
        let s = Signer {
            access_key_id: "AKIDEXAMPLE",
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
            service: "service",
        }
        .sign("GET", "/", None, "example.amazonaws.com", b"", now);
        assert_eq!(s.amz_date, "20150830T123600Z");
        assert_eq!(
            s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn our_signatures_verify() {
        let now = Utc::now();
        let signer = Signer {
            access_key_id: "AK",
            secret: "SK",
            region: "us-east-1",
            service: "lambda",
        };
        let s = signer.sign(
            "POST",
            "/2015-03-31/functions/arn%3Aaws%3Ax/invocations",
            Some("Qualifier=1"),
            "h:1",
            b"{}",
            now,
        );
        let mut headers = HeaderMap::new();
        headers.insert("host", "h:1".parse().unwrap());
        headers.insert("x-amz-date", s.amz_date.parse().unwrap());
        headers.insert("authorization", s.authorization.parse().unwrap());
        let v = Verifier {
            region: "us-east-1",
            service: "lambda",
            now,
            max_skew: chrono::Duration::minutes(15),
        };
        let req = Request {
            method: "POST",
            raw_path: "/2015-03-31/functions/arn%3Aaws%3Ax/invocations",
            raw_query: Some("Qualifier=1"),
            headers: &headers,
            body: b"{}",
        };
        assert_eq!(
            v.verify(&req, |_| Some("SK".into())).unwrap().access_key_id,
            "AK"
        );
    }
}
