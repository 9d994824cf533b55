//! Credentials and region, found as the aws CLI finds them.
//!
//! Credentials: with `--profile`, that profile; else `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) when set; else the profile named by
//! `AWS_PROFILE` or `default`. A profile is read from the shared credentials file
//! (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`) and then the config file
//! (`AWS_CONFIG_FILE`, default `~/.aws/config`, sections `[profile NAME]` or `[default]`).
//! Region: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region` in the
//! config file, else `us-east-1`.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{bail, Context};

/// A signing identity.
#[derive(Debug, Clone)]
pub struct Identity {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn aws_file(var: &str, default: &str) -> Option<PathBuf> {
    env(var)
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".aws").join(default)))
}

type Sections = HashMap<String, HashMap<String, String>>;

/// An INI file's sections; a missing file has none.
fn read_ini(path: Option<PathBuf>) -> anyhow::Result<Sections> {
    let Some(path) = path else {
        return Ok(Sections::new());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Sections::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    Ok(parse_ini(&text))
}

fn parse_ini(text: &str) -> Sections {
    let mut out = Sections::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim().to_owned();
            out.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_owned(), v.trim().to_owned());
        }
    }
    out
}

/// Resolves the identity for `--profile` and `--region` as given.
pub fn resolve(profile: Option<&str>, region: Option<&str>) -> anyhow::Result<Identity> {
    let credentials = read_ini(aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"))?;
    let config = read_ini(aws_file("AWS_CONFIG_FILE", "config"))?;
    let explicit = profile.is_some();
    let name = profile
        .map(str::to_owned)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_owned());
    let config_section = if name == "default" {
        config.get("default")
    } else {
        config.get(&format!("profile {name}"))
    };
    let lookup = |key: &str| {
        credentials
            .get(&name)
            .and_then(|s| s.get(key))
            .or_else(|| config_section.and_then(|s| s.get(key)))
            .cloned()
    };
    let region = region
        .map(str::to_owned)
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| lookup("region"))
        .unwrap_or_else(|| "us-east-1".to_owned());
    if !explicit {
        if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            return Ok(Identity {
                access_key_id: id,
                secret_access_key: secret,
                session_token: env("AWS_SESSION_TOKEN"),
                region,
            });
        }
    }
    match (lookup("aws_access_key_id"), lookup("aws_secret_access_key")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Identity {
            access_key_id,
            secret_access_key,
            session_token: lookup("aws_session_token"),
            region,
        }),
        _ if explicit || credentials.contains_key(&name) || config_section.is_some() => {
            bail!("profile {name} has no aws_access_key_id and aws_secret_access_key")
        }
        _ => bail!(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile \
             {name} to the shared credentials file"
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn ini_sections_and_keys() {
        let s = parse_ini(
            "# c\n[default]\naws_access_key_id = AK\naws_secret_access_key=SK\n\n[profile dev]\nregion = eu-west-1\n; x\n",
        );
        assert_eq!(s["default"]["aws_access_key_id"], "AK");
        assert_eq!(s["default"]["aws_secret_access_key"], "SK");
        assert_eq!(s["profile dev"]["region"], "eu-west-1");
    }
}
