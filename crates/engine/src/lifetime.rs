//! The end of an environment's life: after so many invocations or so much time it is
//! destroyed instead of being reused, however healthy it looks.
//!
//! A safety net, not a policy of Lambda's API: a runtime that leaks a little memory or a
//! few descriptors per invocation would otherwise grow until its function fails. Lambda
//! too recycles environments after some hours even when they are busy.

use std::time::{Duration, Instant};

/// Invocations an environment runs at most, by default. At the warm path's fastest (about
/// 10,000 invocations a second in one environment) that is one cold start every ten
/// seconds, a fraction of a percent of the time; at ordinary rates the age limit comes
/// first. It bounds what a leak of `n` bytes per invocation can take to `100,000 × n`.
pub const DEFAULT_MAX_INVOCATIONS: u64 = 100_000;

/// How old an environment may get, by default: two hours, about as long as Lambda keeps
/// one.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(2 * 60 * 60);

/// The limits; 0 (or a zero duration) lifts a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    /// Invocations an environment runs at most.
    pub max_invocations: u64,
    /// How long after its creation an environment is retired.
    pub max_age: Duration,
}

impl Default for Lifetime {
    fn default() -> Self {
        Self {
            max_invocations: DEFAULT_MAX_INVOCATIONS,
            max_age: DEFAULT_MAX_AGE,
        }
    }
}

impl Lifetime {
    /// Whether an environment created at `created` that has run `invocations` is done at
    /// `now`.
    pub fn spent(&self, invocations: u64, created: Instant, now: Instant) -> bool {
        (self.max_invocations != 0 && invocations >= self.max_invocations)
            || (!self.max_age.is_zero() && now.saturating_duration_since(created) >= self.max_age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocations_and_age_each_end_a_life() {
        let l = Lifetime {
            max_invocations: 3,
            max_age: Duration::from_secs(60),
        };
        let born = Instant::now();
        assert!(!l.spent(2, born, born));
        assert!(l.spent(3, born, born));
        assert!(!l.spent(0, born, born + Duration::from_secs(59)));
        assert!(l.spent(0, born, born + Duration::from_secs(60)));
    }

    #[test]
    fn zero_lifts_a_limit() {
        let l = Lifetime {
            max_invocations: 0,
            max_age: Duration::ZERO,
        };
        let born = Instant::now();
        assert!(!l.spent(u64::MAX, born, born + Duration::from_secs(1 << 40)));
    }
}
