//! The signing key and the signature itself, shared by the verifier and the signer.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::canonical;

/// HMAC-SHA256, the only MAC SigV4 uses.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The algorithm name, first in the `Authorization` header and the string to sign.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every credential scope.
pub(crate) const TERMINATOR: &str = "aws4_request";
/// `X-Amz-Date`'s form: ISO 8601 basic, UTC.
pub(crate) const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// What a key is scoped to: `date/region/service/aws4_request`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// `YYYYMMDD`.
    pub date: &'a str,
    /// Region name.
    pub region: &'a str,
    /// Signing name of the service.
    pub service: &'a str,
}

fn hmac(key: &[u8], data: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (longer ones are hashed), so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(data);
    mac
}

/// The derived signing key: the HMAC chain over date, region, service and terminator.
pub(crate) fn signing_key(secret: &str, scope: Scope<'_>) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), scope.date.as_bytes())
        .finalize()
        .into_bytes();
    let k_region = hmac(&k_date, scope.region.as_bytes())
        .finalize()
        .into_bytes();
    let k_service = hmac(&k_region, scope.service.as_bytes())
        .finalize()
        .into_bytes();
    hmac(&k_service, TERMINATOR.as_bytes())
        .finalize()
        .into_bytes()
        .to_vec()
}

/// The MAC over the string to sign; finalising it gives the signature, and
/// [`Mac::verify_slice`] compares a sent one in constant time.
pub(crate) fn signature_mac(
    signing_key: &[u8],
    scope: Scope<'_>,
    amz_date: &str,
    canonical_request: &str,
) -> HmacSha256 {
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{}/{}/{}/{TERMINATOR}\n{}",
        scope.date,
        scope.region,
        scope.service,
        canonical::sha256_hex(canonical_request.as_bytes())
    );
    hmac(signing_key, string_to_sign.as_bytes())
}
