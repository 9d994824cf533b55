//! Lambda's two time encodings: the `Timestamp` string and epoch seconds.

use chrono::{DateTime, Utc};

/// `2020-04-10T19:06:32.563+0000`: three-digit milliseconds and a literal `+0000`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// Epoch seconds with millisecond precision, as the `Date` shape is sent.
pub fn epoch_seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamp_matches_lambda() {
        let t = Utc.timestamp_millis_opt(1_586_545_592_563).unwrap();
        assert_eq!(timestamp(t), "2020-04-10T19:06:32.563+0000");
        assert_eq!(epoch_seconds(t), 1_586_545_592.563);
    }
}
