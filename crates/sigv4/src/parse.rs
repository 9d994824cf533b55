//! Reading what the client claims: the `Authorization` header (or the presigned query
//! parameters) and the signing time.

use chrono::{DateTime, Utc};
use http::HeaderMap;

use crate::canonical;
use crate::error::AuthError;
use crate::key::{ALGORITHM, AMZ_DATE_FORMAT};

/// The longest `X-Amz-Expires` AWS accepts: seven days.
const MAX_EXPIRES_SECS: i64 = 7 * 24 * 60 * 60;

/// Query parameters that mark a presigned request.
const QUERY_AUTH_PARAMS: [&str; 3] = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"];

/// What the client claims: key, scope, signed headers, signature, signing time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
    /// Lower-case, in the order the client listed them.
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// The signing time as it appears in the string to sign (`YYYYMMDDTHHMMSSZ`).
    pub amz_date: String,
    /// `X-Amz-Expires` (seconds) of a presigned request; `None` for header auth.
    pub expires: Option<i64>,
}

/// The credential scope, split: `(akid, date, region, service, terminator)`.
type Credential = (String, String, String, String, String);

fn parse_credential(credential: &str) -> Result<Credential, AuthError> {
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [akid, date, region, service, terminator] if !akid.is_empty() => Ok((
            (*akid).to_owned(),
            (*date).to_owned(),
            (*region).to_owned(),
            (*service).to_owned(),
            (*terminator).to_owned(),
        )),
        _ => Err(AuthError::Incomplete(format!(
            "Credential must have the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request, got '{credential}'."
        ))),
    }
}

fn signed_header_list(raw: &str) -> Vec<String> {
    raw.split(';')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The claim of a request, from its `Authorization` header or else its query.
pub(crate) fn claim(headers: &HeaderMap, raw_query: Option<&str>) -> Result<Claim, AuthError> {
    let pairs = canonical::decode_query(raw_query);
    let in_query = pairs
        .iter()
        .any(|(k, _)| QUERY_AUTH_PARAMS.contains(&k.as_str()));
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        if in_query {
            return Err(AuthError::Incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.".into(),
            ));
        }
        let value = value.to_str().map_err(|_| {
            AuthError::Incomplete("The Authorization header is not visible ASCII.".into())
        })?;
        let mut claim = authorization_header(value)?;
        claim.amz_date = signing_time(headers)?;
        return Ok(claim);
    }
    query(&pairs)?.ok_or(AuthError::Missing)
}

/// The signing time of a header-signed request: `X-Amz-Date`, else `Date` (HTTP date).
fn signing_time(headers: &HeaderMap) -> Result<String, AuthError> {
    if let Some(d) = header(headers, "x-amz-date") {
        return Ok(d.trim().to_owned());
    }
    header(headers, "date")
        .and_then(|d| DateTime::parse_from_rfc2822(d.trim()).ok())
        .map(|d| d.with_timezone(&Utc).format(AMZ_DATE_FORMAT).to_string())
        .ok_or_else(|| {
            AuthError::Incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                    .into(),
            )
        })
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`; the parameters
/// may be separated by commas, spaces or both. The signing time is left empty: it comes
/// from another header.
pub(crate) fn authorization_header(value: &str) -> Result<Claim, AuthError> {
    let rest = value
        .trim()
        .strip_prefix(ALGORITHM)
        .filter(|r| r.is_empty() || r.starts_with([' ', ',']))
        .ok_or_else(|| {
            AuthError::Incomplete(format!(
                "Authorization header must start with the algorithm {ALGORITHM}."
            ))
        })?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for item in rest.split([',', ' ']).filter(|s| !s.is_empty()) {
        match item.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        let missing: Vec<&str> = [
            ("Credential", credential.is_none()),
            ("SignedHeaders", signed.is_none()),
            ("Signature", signature.is_none()),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(n, _)| *n)
        .collect();
        return Err(AuthError::Incomplete(format!(
            "Authorization header requires '{}' parameter(s). Authorization={value}",
            missing.join("', '")
        )));
    };
    let (access_key_id, date, region, service, terminator) = parse_credential(credential)?;
    Ok(Claim {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers: signed_header_list(signed),
        signature: signature.to_owned(),
        amz_date: String::new(),
        expires: None,
    })
}

/// Parses presigned query parameters (percent-decoded pairs); `None` if there are none.
pub(crate) fn query(pairs: &[(String, String)]) -> Result<Option<Claim>, AuthError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if !QUERY_AUTH_PARAMS.iter().any(|k| get(k).is_some()) {
        return Ok(None);
    }
    let field = |k: &str| {
        get(k).ok_or_else(|| {
            AuthError::Incomplete(format!(
                "A presigned request requires the {k} query parameter."
            ))
        })
    };
    if field("X-Amz-Algorithm")? != ALGORITHM {
        return Err(AuthError::Incomplete(format!(
            "X-Amz-Algorithm must be {ALGORITHM}."
        )));
    }
    let (access_key_id, date, region, service, terminator) =
        parse_credential(field("X-Amz-Credential")?)?;
    let expires = field("X-Amz-Expires")?
        .parse::<i64>()
        .ok()
        .filter(|s| (0..=MAX_EXPIRES_SECS).contains(s))
        .ok_or_else(|| {
            AuthError::Incomplete(format!(
                "X-Amz-Expires must be a whole number of seconds from 0 to {MAX_EXPIRES_SECS}."
            ))
        })?;
    Ok(Some(Claim {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers: signed_header_list(field("X-Amz-SignedHeaders")?),
        signature: field("X-Amz-Signature")?.to_owned(),
        amz_date: field("X-Amz-Date")?.to_owned(),
        expires: Some(expires),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "20150830T123600Z";

    fn header_claim(value: &str) -> Result<Claim, AuthError> {
        authorization_header(value)
    }

    #[test]
    fn header_forms() {
        let c = header_claim(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd",
        )
        .unwrap();
        assert_eq!(c.access_key_id, "AKID");
        assert_eq!(c.date, "20150830");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.service, "lambda");
        assert_eq!(c.terminator, "aws4_request");
        assert_eq!(c.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(c.signature, "abcd");
        assert_eq!(c.expires, None);
        for compact in [
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request,SignedHeaders=Host;X-Amz-Date,Signature=ef",
            "  AWS4-HMAC-SHA256   Signature=ef ,  SignedHeaders=host;x-amz-date,Credential=AKID/20150830/us-east-1/lambda/aws4_request  ",
        ] {
            let c = header_claim(compact).unwrap();
            assert_eq!(c.signature, "ef");
            assert_eq!(c.signed_headers, ["host", "x-amz-date"]);
        }
    }

    #[test]
    fn malformed_headers_are_incomplete() {
        for bad in [
            "Basic abc",
            "AWS4-HMAC-SHA256X Credential=AKID/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=ab",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=ab",
            "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=ab",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request/x, SignedHeaders=host, Signature=ab",
        ] {
            assert!(
                matches!(header_claim(bad), Err(AuthError::Incomplete(_))),
                "{bad}"
            );
        }
        let e =
            header_claim("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request")
                .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("'SignedHeaders', 'Signature'"), "{msg}");
        assert!(!msg.contains("'Credential'"), "{msg}");
    }

    fn pairs(q: &str) -> Vec<(String, String)> {
        canonical::decode_query(Some(q))
    }

    #[test]
    fn presigned_parameters() {
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20150830%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=ab";
        let c = query(&pairs(q)).unwrap().unwrap();
        assert_eq!(c.access_key_id, "AK");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.expires, Some(300));
        assert_eq!(c.amz_date, DATE);
        assert_eq!(query(&pairs("Qualifier=1")).unwrap(), None);
        for (from, to) in [
            ("X-Amz-Expires=300", "X-Amz-Expires=604801"),
            ("X-Amz-Expires=300", "X-Amz-Expires=-1"),
            ("X-Amz-Expires=300", "X-Amz-Expires=soon"),
            ("&X-Amz-Signature=ab", ""),
            ("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
        ] {
            let bad = q.replace(from, to);
            assert!(
                matches!(query(&pairs(&bad)), Err(AuthError::Incomplete(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn signing_time_falls_back_to_date() {
        let mut h = HeaderMap::new();
        assert!(
            matches!(signing_time(&h), Err(AuthError::Incomplete(m)) if m.contains("X-Amz-Date"))
        );
        h.insert("date", "Sun, 30 Aug 2015 12:36:00 GMT".parse().unwrap());
        assert_eq!(signing_time(&h).unwrap(), DATE);
        h.insert("x-amz-date", "20150830T123601Z".parse().unwrap());
        assert_eq!(signing_time(&h).unwrap(), "20150830T123601Z");
    }
}
