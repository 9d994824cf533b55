//! Where asynchronous results may go: the targets Stratus delivers to.
//!
//! A destination (`DestinationConfig.OnSuccess` / `OnFailure`) or a dead-letter target
//! (`DeadLetterConfig.TargetArn`) is either a function of this server, named by its full
//! ARN (optionally qualified), or an `http://` / `https://` URL, a webhook (a Stratus
//! extension). SQS, SNS, EventBridge and S3 targets are refused when the setting is written,
//! so a stored target is always one that can be delivered to. Parsing only: delivery is the
//! `destinations` crate's.

use crate::error::LambdaError;
use crate::names::{is_simple_name, Qualifier, Scope};

/// What Stratus delivers to, said in every refusal.
const DELIVERS_TO: &str = "Stratus delivers to functions of this server \
     (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]) and to http:// or https:// webhook URLs";

/// A parsed destination or dead-letter target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A function of this server: its plain name and the qualifier the ARN carried.
    Function {
        /// Plain function name.
        name: String,
        /// `$LATEST`, a version or an alias; `None` means unqualified (`$LATEST`).
        qualifier: Option<Qualifier>,
    },
    /// An HTTP(S) URL receiving a POST.
    Webhook(String),
}

/// Which setting a target was given in, for the refusal's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetUse {
    /// `DestinationConfig.OnSuccess` / `OnFailure`.
    Destination,
    /// `DeadLetterConfig.TargetArn`.
    DeadLetter,
}

impl TargetUse {
    fn refusal(self, target: &str, why: &str) -> LambdaError {
        LambdaError::invalid(match self {
            TargetUse::Destination => format!(
                "The provided destination config DestinationConfig is invalid: {target} {why}. {DELIVERS_TO}."
            ),
            TargetUse::DeadLetter => format!(
                "The provided DeadLetterConfig TargetArn is invalid: {target} {why}. {DELIVERS_TO}."
            ),
        })
    }
}

impl Target {
    /// Parses a target as written in `what`; the function ARN must name this server's
    /// region and account.
    pub fn parse(s: &str, what: TargetUse, scope: &Scope) -> Result<Self, LambdaError> {
        if let Some(rest) = s
            .strip_prefix("http://")
            .or_else(|| s.strip_prefix("https://"))
        {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            if host.is_empty() || s.len() > 2048 || s.chars().any(|c| c.is_ascii_control()) {
                return Err(what.refusal(s, "is not a valid webhook URL"));
            }
            return Ok(Target::Webhook(s.to_owned()));
        }
        let parts: Vec<&str> = s.split(':').collect();
        let (region, account, name, qualifier) = match parts.as_slice() {
            ["arn", p, "lambda", r, a, "function", n] if p.starts_with("aws") => (*r, *a, *n, None),
            ["arn", p, "lambda", r, a, "function", n, q] if p.starts_with("aws") => {
                (*r, *a, *n, Some(*q))
            }
            ["arn", ..] => return Err(what.refusal(s, "is not a target Stratus can deliver to")),
            _ => return Err(what.refusal(s, "is not a valid ARN or URL")),
        };
        if region != scope.region || account != scope.account {
            return Err(what.refusal(
                s,
                &format!(
                    "is not in this server's region and account ({}, {})",
                    scope.region, scope.account
                ),
            ));
        }
        if !is_simple_name(name) || name.len() > 64 {
            return Err(what.refusal(s, "does not name a function"));
        }
        let qualifier = qualifier
            .map(Qualifier::parse)
            .transpose()
            .map_err(|_| what.refusal(s, "has an invalid qualifier"))?;
        Ok(Target::Function {
            name: name.to_owned(),
            qualifier,
        })
    }

    /// True when this target is the function `name` (any of its qualifiers).
    pub fn is_function(&self, function: &str) -> bool {
        matches!(self, Target::Function { name, .. } if name == function)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ErrorKind;

    fn scope() -> Scope {
        Scope {
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }

    #[test]
    fn functions_and_webhooks_parse() {
        let s = scope();
        let t = Target::parse(
            "arn:aws:lambda:us-east-1:123456789012:function:sink",
            TargetUse::Destination,
            &s,
        )
        .unwrap();
        assert_eq!(
            t,
            Target::Function {
                name: "sink".into(),
                qualifier: None
            }
        );
        assert!(t.is_function("sink") && !t.is_function("other"));
        let t = Target::parse(
            "arn:aws:lambda:us-east-1:123456789012:function:sink:live",
            TargetUse::DeadLetter,
            &s,
        )
        .unwrap();
        assert_eq!(
            t,
            Target::Function {
                name: "sink".into(),
                qualifier: Some(Qualifier::Alias("live".into()))
            }
        );
        for url in ["http://127.0.0.1:8080/hook", "https://example.test/x?y=1"] {
            assert_eq!(
                Target::parse(url, TargetUse::Destination, &s).unwrap(),
                Target::Webhook(url.into())
            );
        }
    }

    #[test]
    fn other_targets_are_refused_naming_what_is_delivered_to() {
        let s = scope();
        for bad in [
            "arn:aws:sqs:us-east-1:123456789012:q",
            "arn:aws:sns:us-east-1:123456789012:t",
            "arn:aws:events:us-east-1:123456789012:event-bus/default",
            "arn:aws:s3:::bucket",
            "arn:aws:lambda:eu-west-1:123456789012:function:f",
            "arn:aws:lambda:us-east-1:000000000000:function:f",
            "arn:aws:lambda:us-east-1:123456789012:function:bad name",
            "arn:aws:lambda:us-east-1:123456789012:function:f:0",
            "ftp://host/x",
            "http://",
            "sink",
        ] {
            let e = Target::parse(bad, TargetUse::Destination, &s).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidParameterValue, "{bad}");
            assert!(e.message.contains("Stratus delivers to"), "{bad}");
            assert!(e.message.contains(bad), "{bad}");
        }
        let e = Target::parse(
            "arn:aws:sqs:us-east-1:123456789012:q",
            TargetUse::DeadLetter,
            &s,
        )
        .unwrap_err();
        assert!(e
            .message
            .starts_with("The provided DeadLetterConfig TargetArn is invalid"));
    }
}
