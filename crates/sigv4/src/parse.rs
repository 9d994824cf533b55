//! Reading the signature parameters from the `Authorization` header or the query string.

use crate::error::AuthError;

/// What the client claims: key, scope, signed headers, signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// Set for presigned (query) requests.
    pub amz_date: Option<String>,
    /// `X-Amz-Expires` of a presigned request.
    pub expires: Option<i64>,
}

pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

fn parse_credential(
    credential: &str,
) -> Result<(String, String, String, String, String), AuthError> {
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
            "Authorization header requires a Credential parameter of the form AKID/DATE/REGION/SERVICE/aws4_request, got '{credential}'"
        ))),
    }
}

fn signed_header_list(raw: &str) -> Vec<String> {
    raw.split(';')
        .filter(|h| !h.is_empty())
        .map(|h| h.trim().to_ascii_lowercase())
        .collect()
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
pub(crate) fn authorization_header(value: &str) -> Result<Claim, AuthError> {
    let rest = value.trim().strip_prefix(ALGORITHM).ok_or_else(|| {
        AuthError::Incomplete(format!("Authorization header must use {ALGORITHM}"))
    })?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for item in rest
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match item.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let missing: Vec<&str> = [
        ("Credential", credential.is_none()),
        ("SignedHeaders", signed.is_none()),
        ("Signature", signature.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| *n)
    .collect();
    if !missing.is_empty() {
        return Err(AuthError::Incomplete(format!(
            "Authorization header requires {} parameter(s). Authorization={value}",
            missing.join(", ")
        )));
    }
    let (access_key_id, date, region, service, terminator) =
        parse_credential(credential.unwrap_or(""))?;
    Ok(Claim {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers: signed_header_list(signed.unwrap_or("")),
        signature: signature.unwrap_or("").to_owned(),
        amz_date: None,
        expires: None,
    })
}

/// Parses presigned query parameters (already percent-decoded pairs).
pub(crate) fn query(pairs: &[(String, String)]) -> Result<Option<Claim>, AuthError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(algorithm) = get("X-Amz-Algorithm") else {
        return Ok(None);
    };
    if algorithm != ALGORITHM {
        return Err(AuthError::Incomplete(format!(
            "X-Amz-Algorithm must be {ALGORITHM}"
        )));
    }
    let field = |k: &str| {
        get(k).ok_or_else(|| {
            AuthError::Incomplete(format!("presigned request is missing the {k} parameter"))
        })
    };
    let (access_key_id, date, region, service, terminator) =
        parse_credential(field("X-Amz-Credential")?)?;
    let expires = field("X-Amz-Expires")?
        .parse::<i64>()
        .map_err(|_| AuthError::Incomplete("X-Amz-Expires must be a number of seconds".into()))?;
    Ok(Some(Claim {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers: signed_header_list(field("X-Amz-SignedHeaders")?),
        signature: field("X-Amz-Signature")?.to_owned(),
        amz_date: Some(field("X-Amz-Date")?.to_owned()),
        expires: Some(expires),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_forms() {
        let c = authorization_header(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd",
        )
        .unwrap();
        assert_eq!(c.access_key_id, "AKID");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(c.signature, "abcd");
        let c = authorization_header(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request,SignedHeaders=host,Signature=ef",
        )
        .unwrap();
        assert_eq!(c.signature, "ef");
    }

    #[test]
    fn malformed_headers_are_incomplete() {
        for bad in [
            "Basic abc",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request",
            "AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=ab",
        ] {
            assert!(
                matches!(authorization_header(bad), Err(AuthError::Incomplete(_))),
                "{bad}"
            );
        }
    }
}
