//! The stored form of one qualifier's asynchronous invocation settings.

use serde::{Deserialize, Serialize};
use stratus_model::invoke_config::{
    Destination, DestinationConfig, EventInvokeRecord, EventInvokeSettings,
};

use super::{Record, RECORD_VERSION};

/// `FunctionEventInvokeConfig` of one qualifier, with its last change time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredEventInvokeConfig {
    /// Record format version.
    pub v: u32,
    /// Retries after a failed attempt, when set.
    pub maximum_retry_attempts: Option<i64>,
    /// Oldest age of an event before it is dropped, in seconds, when set.
    pub maximum_event_age_seconds: Option<i64>,
    /// Destinations, when configured.
    pub destinations: Option<StoredDestinations>,
    /// Last change, in epoch seconds.
    pub last_modified_epoch_seconds: f64,
}

/// Where results go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredDestinations {
    /// Target ARN for successes.
    pub on_success: Option<String>,
    /// Target ARN for failures.
    pub on_failure: Option<String>,
}

impl Record for StoredEventInvokeConfig {
    const WHAT: &'static str = "event invoke config";
    fn version(&self) -> u32 {
        self.v
    }
}

impl From<&EventInvokeRecord> for StoredEventInvokeConfig {
    fn from(r: &EventInvokeRecord) -> Self {
        let EventInvokeRecord {
            settings:
                EventInvokeSettings {
                    maximum_retry_attempts,
                    maximum_event_age_in_seconds,
                    destination_config,
                },
            last_modified,
        } = r;
        Self {
            v: RECORD_VERSION,
            maximum_retry_attempts: *maximum_retry_attempts,
            maximum_event_age_seconds: *maximum_event_age_in_seconds,
            destinations: destination_config.as_ref().map(|d| StoredDestinations {
                on_success: d.on_success.destination.clone(),
                on_failure: d.on_failure.destination.clone(),
            }),
            last_modified_epoch_seconds: *last_modified,
        }
    }
}

impl From<StoredEventInvokeConfig> for EventInvokeRecord {
    fn from(r: StoredEventInvokeConfig) -> Self {
        let StoredEventInvokeConfig {
            v: _,
            maximum_retry_attempts,
            maximum_event_age_seconds,
            destinations,
            last_modified_epoch_seconds,
        } = r;
        Self {
            settings: EventInvokeSettings {
                maximum_retry_attempts,
                maximum_event_age_in_seconds: maximum_event_age_seconds,
                destination_config: destinations.map(|d| DestinationConfig {
                    on_success: Destination {
                        destination: d.on_success,
                    },
                    on_failure: Destination {
                        destination: d.on_failure,
                    },
                }),
            },
            last_modified: last_modified_epoch_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::records::{decode, encode};

    const FULL: &str = r#"{"v":1,"maximum_retry_attempts":1,"maximum_event_age_seconds":3600,"destinations":{"on_success":"arn:aws:sqs:us-east-1:123456789012:ok","on_failure":null},"last_modified_epoch_seconds":1767225600.1234567}"#;
    const EMPTY: &str = r#"{"v":1,"maximum_retry_attempts":null,"maximum_event_age_seconds":null,"destinations":null,"last_modified_epoch_seconds":1767225601.0}"#;

    #[test]
    fn golden_records_round_trip_through_the_domain_type() {
        for fixture in [FULL, EMPTY] {
            let domain =
                EventInvokeRecord::from(decode::<StoredEventInvokeConfig>(fixture).unwrap());
            assert_eq!(encode(&StoredEventInvokeConfig::from(&domain)), fixture);
        }
        let full = EventInvokeRecord::from(decode::<StoredEventInvokeConfig>(FULL).unwrap());
        assert_eq!(full.last_modified, 1767225600.1234567);
        assert_eq!(full.settings.maximum_event_age_in_seconds, Some(3600));
        let empty = EventInvokeRecord::from(decode::<StoredEventInvokeConfig>(EMPTY).unwrap());
        assert_eq!(empty.settings, EventInvokeSettings::default());
    }
}
