//! Finding the token signing secret: configured, or generated once beside the database.

use std::path::Path;

use rand::RngCore;

use crate::config::{Config, Secret};

const SECRET_FILE: &str = "jwt-secret";
const MIN_SECRET_BYTES: usize = 32;

/// Errors while finding the secret; they stop the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")]
    TooShort,
    #[error(
        "JWT_SECRET must be set when DATABASE_URL is given: every instance must sign and accept the same tokens"
    )]
    Missing,
    #[error("cannot read or write the signing secret file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The configured secret; on the embedded default without one, the secret kept in
/// `<data dir>/jwt-secret`, created with fresh random bytes on first start so that
/// tokens survive restarts.
pub fn load_or_create(config: &Config) -> Result<Secret, SecretError> {
    if let Some(secret) = &config.jwt_secret {
        if secret.expose().len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort);
        }
        return Ok(secret.clone());
    }
    if !config.is_embedded_default() {
        return Err(SecretError::Missing);
    }
    let path = config.data_dir.join(SECRET_FILE);
    let io = |source| SecretError::Io {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing.trim().len() >= MIN_SECRET_BYTES => {
            return Ok(Secret::new(existing.trim()));
        }
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(io(err)),
    }
    std::fs::create_dir_all(&config.data_dir).map_err(io)?;
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    write_private(&path, &secret).map_err(io)?;
    tracing::info!(path = %path.display(), "generated a new token signing secret");
    Ok(Secret::new(secret))
}

/// Writes the file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}
