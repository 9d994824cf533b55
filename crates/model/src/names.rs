//! Names, qualifiers and ARNs: how a function, version, alias or layer is addressed.

use std::fmt;

use crate::error::{LambdaError, Violations};

/// Pattern botocore gives for a function name that may be qualified or an ARN.
pub const FUNCTION_NAME_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?";
/// Pattern of a plain qualifier.
pub const QUALIFIER_PATTERN: &str = r"(|[a-zA-Z0-9$_-]+)";
/// Pattern of an alias name.
pub const ALIAS_PATTERN: &str = r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)";
/// Pattern of a layer name.
pub const LAYER_NAME_PATTERN: &str =
    r"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+";

/// Region and account this server answers for; builds every ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// e.g. `us-east-1`.
    pub region: String,
    /// Twelve digits.
    pub account: String,
}

impl Scope {
    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME`.
    pub fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.region, self.account
        )
    }
    /// The function ARN with `:QUALIFIER` appended.
    pub fn qualified_arn(&self, name: &str, qualifier: &str) -> String {
        format!("{}:{qualifier}", self.function_arn(name))
    }
    /// `arn:aws:lambda:REGION:ACCOUNT:layer:NAME`.
    pub fn layer_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:layer:{name}",
            self.region, self.account
        )
    }
    /// The layer ARN with `:VERSION` appended.
    pub fn layer_version_arn(&self, name: &str, version: u64) -> String {
        format!("{}:{version}", self.layer_arn(name))
    }
}

/// Which version of a function is meant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `$LATEST`, the only mutable version.
    Latest,
    /// A published version number.
    Version(u64),
    /// An alias name.
    Alias(String),
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Latest => f.write_str("$LATEST"),
            Qualifier::Version(n) => write!(f, "{n}"),
            Qualifier::Alias(a) => f.write_str(a),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// True when `s` is a non-empty run of `[a-zA-Z0-9-_]`.
pub fn is_simple_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_name_char)
}

impl Qualifier {
    /// Parses `$LATEST`, a version number or an alias name.
    pub fn parse(s: &str) -> Result<Self, LambdaError> {
        if s == "$LATEST" {
            return Ok(Qualifier::Latest);
        }
        let mut v = Violations::default();
        v.max_len(s, "qualifier", 128);
        v.pattern(s, "qualifier", is_simple_name(s), QUALIFIER_PATTERN);
        v.finish()?;
        if s.bytes().all(|b| b.is_ascii_digit()) {
            match s.parse::<u64>() {
                Ok(n) if n > 0 => Ok(Qualifier::Version(n)),
                _ => Err(LambdaError::invalid(format!("Invalid version: {s}"))),
            }
        } else {
            Ok(Qualifier::Alias(s.to_owned()))
        }
    }
}

/// A function as named in a request: plain name plus the qualifier the name carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    /// The plain function name.
    pub name: String,
    /// The qualifier derived from the name or the `Qualifier` parameter.
    pub qualifier: Option<Qualifier>,
}

impl FunctionRef {
    /// Parses `name`, `name:qualifier`, `ACCOUNT:function:name[:q]` or a full ARN, then merges
    /// an explicit `Qualifier` parameter, which must agree with one carried by the name.
    pub fn parse(input: &str, explicit: Option<&str>, scope: &Scope) -> Result<Self, LambdaError> {
        let (name, derived) = split_function_name(input, scope)?;
        let derived = derived.map(Qualifier::parse).transpose()?;
        let explicit = explicit
            .filter(|q| !q.is_empty())
            .map(Qualifier::parse)
            .transpose()?;
        let qualifier = match (derived, explicit) {
            (Some(d), Some(e)) if d != e => {
                return Err(LambdaError::invalid(
                    "The derived qualifier from the function name does not match the specified qualifier.",
                ))
            }
            (d, e) => e.or(d),
        };
        Ok(FunctionRef {
            name: name.to_owned(),
            qualifier,
        })
    }

    /// Parses a name that must not carry a qualifier (CreateFunction, tags, concurrency).
    pub fn parse_unqualified(input: &str, scope: &Scope) -> Result<String, LambdaError> {
        let r = Self::parse(input, None, scope)?;
        if r.qualifier.is_some() {
            return Err(LambdaError::invalid(format!(
                "Unqualified function name or ARN expected, got {input}"
            )));
        }
        Ok(r.name)
    }
}

fn bad_function_name(input: &str) -> LambdaError {
    let mut v = Violations::default();
    v.pattern(input, "functionName", false, FUNCTION_NAME_PATTERN);
    v.finish()
        .err()
        .unwrap_or_else(|| LambdaError::invalid("invalid function name"))
}

/// Splits a function name or ARN into (name, qualifier) and checks region and account.
fn split_function_name<'a>(
    input: &'a str,
    scope: &Scope,
) -> Result<(&'a str, Option<&'a str>), LambdaError> {
    if input.is_empty() || input.len() > 170 {
        let mut v = Violations::default();
        v.max_len(input, "functionName", 170);
        v.pattern(
            input,
            "functionName",
            !input.is_empty(),
            FUNCTION_NAME_PATTERN,
        );
        v.finish()?;
    }
    let parts: Vec<&str> = input.split(':').collect();
    let (region, account, name, qualifier) = match parts.as_slice() {
        [name] => (None, None, *name, None),
        [name, q] => (None, None, *name, Some(*q)),
        [acct, "function", name] => (None, Some(*acct), *name, None),
        [acct, "function", name, q] => (None, Some(*acct), *name, Some(*q)),
        ["arn", partition, "lambda", region, acct, "function", name]
            if partition.starts_with("aws") =>
        {
            (Some(*region), Some(*acct), *name, None)
        }
        ["arn", partition, "lambda", region, acct, "function", name, q]
            if partition.starts_with("aws") =>
        {
            (Some(*region), Some(*acct), *name, Some(*q))
        }
        _ => return Err(bad_function_name(input)),
    };
    if !is_simple_name(name)
        || account.is_some_and(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad_function_name(input));
    }
    if name.len() > 64 {
        let mut v = Violations::default();
        v.max_len(name, "functionName", 64);
        v.finish()?;
    }
    if let Some(region) = region {
        if region != scope.region {
            return Err(LambdaError::not_found(format!(
                "Functions from '{region}' are not reachable in this region ('{}')",
                scope.region
            )));
        }
    }
    if let Some(account) = account {
        if account != scope.account {
            return Err(LambdaError::not_found(format!(
                "Function not found: {}",
                input
            )));
        }
    }
    Ok((name, qualifier))
}

/// Parses a layer name or layer ARN (without version) into the plain layer name.
pub fn parse_layer_name(input: &str, scope: &Scope) -> Result<String, LambdaError> {
    let name = match input.split(':').collect::<Vec<_>>().as_slice() {
        [name] => *name,
        ["arn", _, "lambda", region, acct, "layer", name]
            if *region == scope.region && *acct == scope.account =>
        {
            *name
        }
        _ => "",
    };
    let mut v = Violations::default();
    v.max_len(input, "layerName", 140);
    v.pattern(input, "layerName", is_simple_name(name), LAYER_NAME_PATTERN);
    v.finish()?;
    Ok(name.to_owned())
}

/// Parses a layer version ARN `arn:aws:lambda:R:A:layer:NAME:VERSION` into (name, version).
pub fn parse_layer_version_arn(arn: &str, scope: &Scope) -> Option<(String, u64)> {
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", p, "lambda", region, acct, "layer", name, version]
            if p.starts_with("aws")
                && *region == scope.region
                && *acct == scope.account
                && is_simple_name(name) =>
        {
            let v = version.parse::<u64>().ok().filter(|v| *v > 0)?;
            Some(((*name).to_owned(), v))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }

    #[test]
    fn every_function_name_form_parses() {
        let s = scope();
        let cases = [
            ("f", None),
            ("f:1", Some(Qualifier::Version(1))),
            ("f:$LATEST", Some(Qualifier::Latest)),
            ("123456789012:function:f", None),
            (
                "123456789012:function:f:live",
                Some(Qualifier::Alias("live".into())),
            ),
            ("arn:aws:lambda:us-east-1:123456789012:function:f", None),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f:2",
                Some(Qualifier::Version(2)),
            ),
        ];
        for (input, q) in cases {
            let r = FunctionRef::parse(input, None, &s).unwrap();
            assert_eq!(r.name, "f", "{input}");
            assert_eq!(r.qualifier, q, "{input}");
        }
    }

    #[test]
    fn bad_names_are_validation_errors() {
        let s = scope();
        for input in [
            "",
            "a b",
            "f/x",
            "arn:aws:s3:::bucket",
            "a:b:c:d:e",
            &"x".repeat(65),
        ] {
            let e = FunctionRef::parse(input, None, &s).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::Validation, "{input}");
        }
    }

    #[test]
    fn other_regions_are_not_reachable() {
        let e = FunctionRef::parse(
            "arn:aws:lambda:eu-west-1:123456789012:function:f",
            None,
            &scope(),
        )
        .unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::ResourceNotFound);
    }

    #[test]
    fn conflicting_qualifiers_are_rejected() {
        let s = scope();
        assert!(FunctionRef::parse("f:1", Some("2"), &s).is_err());
        let r = FunctionRef::parse("f:1", Some("1"), &s).unwrap();
        assert_eq!(r.qualifier, Some(Qualifier::Version(1)));
        let r = FunctionRef::parse("f", Some("live"), &s).unwrap();
        assert_eq!(r.qualifier, Some(Qualifier::Alias("live".into())));
    }

    #[test]
    fn layer_arns_parse() {
        let s = scope();
        assert_eq!(
            parse_layer_version_arn("arn:aws:lambda:us-east-1:123456789012:layer:deps:3", &s),
            Some(("deps".into(), 3))
        );
        assert_eq!(
            parse_layer_version_arn("arn:aws:lambda:us-east-1:123456789012:layer:deps", &s),
            None
        );
        assert_eq!(
            parse_layer_name("arn:aws:lambda:us-east-1:123456789012:layer:deps", &s).unwrap(),
            "deps"
        );
        assert!(parse_layer_name("bad name", &s).is_err());
    }
}
