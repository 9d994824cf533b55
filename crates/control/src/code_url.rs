//! Expiring signed download URLs for code packages (`Code.Location`, layer `Content.Location`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a code URL stays valid, like Lambda's presigned S3 URLs.
pub const CODE_URL_TTL_SECS: i64 = 600;

/// Signs and checks code download tokens with a per-process secret.
#[derive(Clone)]
pub struct CodeUrlSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for CodeUrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeUrlSigner(..)")
    }
}

impl CodeUrlSigner {
    /// A signer using `key` (random per process is fine: URLs live ten minutes).
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, sha256_hex: &str, expires: i64) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("hmac takes any key length"));
        mac.update(sha256_hex.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The path and query of a download URL for the blob, valid until `now + TTL`.
    pub fn path(&self, sha256_hex: &str, now: i64) -> String {
        let expires = now + CODE_URL_TTL_SECS;
        let sig = hex::encode(self.mac(sha256_hex, expires).finalize().into_bytes());
        format!("/_stratus/code/{sha256_hex}?Expires={expires}&Signature={sig}")
    }

    /// True when `signature` is ours for this blob and `expires` has not passed.
    pub fn verify(&self, sha256_hex: &str, expires: i64, signature: &str) -> bool {
        let now = chrono::Utc::now().timestamp();
        // Only the exact lowercase form we issued counts; hex decoding alone would accept
        // an upper-cased copy as the same signature.
        if signature.bytes().any(|b| b.is_ascii_uppercase()) {
            return false;
        }
        let Ok(sig) = hex::decode(signature) else {
            return false;
        };
        expires >= now && self.mac(sha256_hex, expires).verify_slice(&sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_verify_and_expire() {
        let s = CodeUrlSigner::new([7; 32]);
        let now = chrono::Utc::now().timestamp();
        let path = s.path("ab", now);
        let sig = path.rsplit("Signature=").next().unwrap();
        assert!(s.verify("ab", now + CODE_URL_TTL_SECS, sig));
        assert!(!s.verify("ac", now + CODE_URL_TTL_SECS, sig));
        assert!(!s.verify("ab", now + CODE_URL_TTL_SECS, &sig.to_ascii_uppercase()));
        assert!(!s.verify("ab", now + CODE_URL_TTL_SECS + 1, sig));
        let old = s.path("ab", now - 2 * CODE_URL_TTL_SECS);
        let sig = old.rsplit("Signature=").next().unwrap();
        assert!(!s.verify("ab", now - CODE_URL_TTL_SECS, sig));
    }
}
