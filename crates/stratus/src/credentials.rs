//! The admin access key: from the environment, else generated once and kept in the data dir.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rand::distr::Alphanumeric;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::config::{ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY};

/// An access key pair.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyPair {
    pub access_key_id: String,
    pub secret_access_key: String,
}

const FILE: &str = "credentials.json";

fn generate() -> KeyPair {
    let mut rng = rand::rng();
    let upper: String = (0..16)
        .map(|_| {
            let c = rng.random_range(0..36u8);
            if c < 10 {
                (b'0' + c) as char
            } else {
                (b'A' + c - 10) as char
            }
        })
        .collect();
    let secret: String = (&mut rng)
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    KeyPair {
        access_key_id: format!("AKIA{upper}"),
        secret_access_key: secret,
    }
}

/// Loads the admin key. Returns the key and whether it was generated just now.
pub fn load(data_dir: &Path) -> anyhow::Result<(KeyPair, bool)> {
    if let (Ok(id), Ok(secret)) = (
        std::env::var(ENV_ACCESS_KEY_ID),
        std::env::var(ENV_SECRET_ACCESS_KEY),
    ) {
        anyhow::ensure!(
            !id.is_empty() && !secret.is_empty(),
            "{ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY} must not be empty"
        );
        return Ok((
            KeyPair {
                access_key_id: id,
                secret_access_key: secret,
            },
            false,
        ));
    }
    let path = data_dir.join(FILE);
    if path.exists() {
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let key =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        return Ok((key, false));
    }
    let key = generate();
    let tmp = data_dir.join(format!("{FILE}.tmp"));
    {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        set_private(&f)?;
        f.write_all(serde_json::to_string_pretty(&key)?.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok((key, true))
}

#[cfg(unix)]
fn set_private(f: &fs::File) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// The one-time notice for a generated key.
pub fn announce(key: &KeyPair, region: &str, listen: &std::net::SocketAddr) {
    println!(
        "Generated an admin access key for this Stratus server (kept in the data dir):\n\
         \n  aws_access_key_id     = {}\n  aws_secret_access_key = {}\n\n\
         Configure the aws CLI with:\n\
         \n  aws configure set aws_access_key_id {} --profile stratus\
         \n  aws configure set aws_secret_access_key {} --profile stratus\
         \n  aws configure set region {region} --profile stratus\n\
         \nthen: aws --profile stratus --endpoint-url http://{listen} lambda list-functions\n",
        key.access_key_id, key.secret_access_key, key.access_key_id, key.secret_access_key
    );
}
