//! AWS Signature Version 4 verification of incoming requests, exactly as received.
//!
//! The verifier recomputes the signature from the request as it came off the wire (raw
//! percent-encoded path, raw query, the headers the client says it signed, the body) and
//! compares in constant time. It owns the canonicalisation rules, including the double
//! encoding of the path that every AWS service but S3 uses. It knows no HTTP framework and
//! no key store: the caller passes a lookup from access key id to secret.
//!
//! Where signers legitimately differ it tries each form, all derived from the request as
//! received: the path normalised as botocore does (`.`, `..`, `//` removed) or as sent,
//! and for presigned requests the body hash or `UNSIGNED-PAYLOAD`.

mod canonical;
mod error;
mod key;
mod parse;
mod sign;
mod verify;

pub use error::AuthError;
pub use sign::{Signed, Signer};
pub use verify::{Request, Verified, Verifier};
