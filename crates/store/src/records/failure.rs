//! The stored form of why a dead-lettered event failed.

use serde::{Deserialize, Serialize};

use super::{Record, RECORD_VERSION};
use crate::queue::Failure;

/// A dead letter's failure: its discard condition and last error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredFailure {
    /// Record format version.
    pub v: u32,
    /// The discard condition.
    pub condition: String,
    /// The last error's type, if any.
    pub error_type: Option<String>,
    /// The last error's message, if any.
    pub error_message: Option<String>,
}

impl Record for StoredFailure {
    const WHAT: &'static str = "dead letter failure";
    fn version(&self) -> u32 {
        self.v
    }
}

impl From<&Failure> for StoredFailure {
    fn from(f: &Failure) -> Self {
        let Failure {
            condition,
            error_type,
            error_message,
        } = f;
        Self {
            v: RECORD_VERSION,
            condition: condition.clone(),
            error_type: error_type.clone(),
            error_message: error_message.clone(),
        }
    }
}

impl From<StoredFailure> for Failure {
    fn from(f: StoredFailure) -> Self {
        let StoredFailure {
            v: _,
            condition,
            error_type,
            error_message,
        } = f;
        Self {
            condition,
            error_type,
            error_message,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::records::{decode, encode};

    const FULL: &str =
        r#"{"v":1,"condition":"RetriesExhausted","error_type":"Unhandled","error_message":"boom"}"#;
    const BARE: &str =
        r#"{"v":1,"condition":"EventAgeExceeded","error_type":null,"error_message":null}"#;

    #[test]
    fn golden_records_round_trip_through_the_domain_type() {
        for fixture in [FULL, BARE] {
            let domain = Failure::from(decode::<StoredFailure>(fixture).unwrap());
            assert_eq!(encode(&StoredFailure::from(&domain)), fixture);
        }
        let full = Failure::from(decode::<StoredFailure>(FULL).unwrap());
        assert_eq!(full.error_type.as_deref(), Some("Unhandled"));
    }
}
