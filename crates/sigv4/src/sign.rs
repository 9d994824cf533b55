//! Signing outgoing requests: the same canonical form, for Stratus's own tools and tests.

use chrono::{DateTime, Utc};

use crate::canonical;
use hmac::Mac;

use crate::verify::{signature_mac, AMZ_DATE_FORMAT};

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
        let date = &amz_date[..8];
        let canonical_request = format!(
            "{method}\n{}\n{}\nhost:{host}\nx-amz-date:{amz_date}\n\nhost;x-amz-date\n{}",
            canonical::uri(raw_path),
            canonical::query(raw_query, None),
            canonical::sha256_hex(body),
        );
        let (region, service) = (self.region, self.service);
        let sig = signature_mac(
            self.secret,
            date,
            region,
            service,
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
