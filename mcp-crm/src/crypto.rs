//! Personal data at rest: AES-256-GCM encryption and keyed blind indexes
//! (HMAC-SHA256), both from one master key with separate derived keys.

use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use promptsales_shared::AppError;

/// The environment variable holding the master key.
pub const KEY_VAR: &str = "PROMPTSALES_ENCRYPTION_KEY";
/// File in the data directory holding the generated development key.
pub const DEV_KEY_FILE: &str = "crm-encryption.key";
/// Version tag of stored ciphertexts, so keys or formats can rotate later.
const CIPHER_PREFIX: &str = "v1:";

/// Why no usable key was found.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "{KEY_VAR}: expected 32 bytes as 64 hex characters or base64 (e.g. `openssl rand -base64 32`), got {0}"
    )]
    Malformed(String),
    #[error(
        "{KEY_VAR} is not set: PostgreSQL deployments must provide the key that encrypts lead personal data (32 bytes, hex or base64)"
    )]
    Missing,
    #[error("cannot read or create the development key {path}: {source}")]
    DevKey {
        path: String,
        source: std::io::Error,
    },
}

/// Parses a 32-byte key given as hex or base64.
pub fn parse_key(raw: &str) -> Result<[u8; 32], KeyError> {
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.chars().all(|c| c.is_ascii_hexdigit()) {
        hex::decode(raw).ok()
    } else {
        STANDARD.decode(raw).ok()
    };
    let described = format!("a value of {} characters", raw.len());
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or(KeyError::Malformed(described))
}

/// The master key for a server: from `env_value` when set; otherwise, on
/// the embedded SQLite default only, a key generated once into `data_dir`
/// (with a warning); with PostgreSQL and no key, an error.
pub fn resolve_key(
    env_value: Option<&str>,
    postgres: bool,
    data_dir: &Path,
) -> Result<[u8; 32], KeyError> {
    if let Some(v) = env_value.filter(|v| !v.trim().is_empty()) {
        return parse_key(v);
    }
    if postgres {
        return Err(KeyError::Missing);
    }
    let path = data_dir.join(DEV_KEY_FILE);
    let io = |source| KeyError::DevKey {
        path: path.display().to_string(),
        source,
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(io)?;
        return parse_key(&text);
    }
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| io(std::io::Error::other("no system randomness")))?;
    std::fs::create_dir_all(data_dir).map_err(io)?;
    std::fs::write(&path, hex::encode(key)).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    tracing::warn!(
        path = %path.display(),
        "{KEY_VAR} not set: generated a development key for lead personal data; \
         set {KEY_VAR} in production and keep it safe (losing it loses the data)"
    );
    Ok(key)
}

/// Encrypts, decrypts and blind-indexes personal data.
#[derive(Clone)]
pub struct Crypto {
    aead: std::sync::Arc<LessSafeKey>,
    index: hmac::Key,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto(..)")
    }
}

/// A derived sub-key: HMAC-SHA256(master, purpose), so the encryption key
/// and the index key are independent and neither reveals the master.
fn derive(master: &[u8; 32], purpose: &str) -> [u8; 32] {
    let k = hmac::Key::new(hmac::HMAC_SHA256, master);
    let tag = hmac::sign(&k, purpose.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

impl Crypto {
    pub fn new(master: &[u8; 32]) -> Result<Self, AppError> {
        let enc = derive(master, "promptsales/crm/pii-encryption/v1");
        let idx = derive(master, "promptsales/crm/blind-index/v1");
        let unbound = UnboundKey::new(&AES_256_GCM, &enc)
            .map_err(|_| AppError::Internal("encryption key rejected".into()))?;
        Ok(Self {
            aead: std::sync::Arc::new(LessSafeKey::new(unbound)),
            index: hmac::Key::new(hmac::HMAC_SHA256, &idx),
        })
    }

    /// `v1:` + base64(nonce ‖ ciphertext ‖ tag); a fresh random nonce each
    /// time, so equal plaintexts do not look equal at rest.
    pub fn encrypt(&self, plaintext: &str) -> Result<String, AppError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| AppError::Internal("no system randomness".into()))?;
        let mut buf = plaintext.as_bytes().to_vec();
        self.aead
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .map_err(|_| AppError::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{CIPHER_PREFIX}{}", STANDARD.encode(out)))
    }

    /// Decrypts a value written by [`Crypto::encrypt`]; a wrong key or a
    /// tampered value is an error, never garbage.
    pub fn decrypt(&self, stored: &str) -> Result<String, AppError> {
        let bad = || {
            AppError::Internal(
                "personal data could not be decrypted (wrong PROMPTSALES_ENCRYPTION_KEY?)".into(),
            )
        };
        let body = stored.strip_prefix(CIPHER_PREFIX).ok_or_else(bad)?;
        let raw = STANDARD.decode(body).map_err(|_| bad())?;
        if raw.len() < NONCE_LEN {
            return Err(bad());
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad())?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .aead
            .open_in_place(nonce, Aad::empty(), &mut sealed)
            .map_err(|_| bad())?;
        String::from_utf8(plain.to_vec()).map_err(|_| bad())
    }

    /// Decrypts an optional column.
    pub fn decrypt_opt(&self, stored: Option<&str>) -> Result<Option<String>, AppError> {
        stored.map(|s| self.decrypt(s)).transpose()
    }

    /// Keyed blind index of a normalised value: equal inputs (per tenant and
    /// kind) give equal hex digests, and nobody without the key can test a
    /// guess against the table.
    pub fn blind_index(&self, tenant: &str, kind: &str, normalised: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.index);
        for part in [tenant, kind, normalised] {
            ctx.update(&(part.len() as u32).to_be_bytes());
            ctx.update(part.as_bytes());
        }
        hex::encode(ctx.sign().as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crypto() -> Crypto {
        Crypto::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn encryption_round_trips_and_is_randomised() {
        let c = crypto();
        let a = c.encrypt("ana@example.com").unwrap();
        let b = c.encrypt("ana@example.com").unwrap();
        assert_ne!(a, b);
        assert!(!a.contains("ana"));
        assert_eq!(c.decrypt(&a).unwrap(), "ana@example.com");
    }

    #[test]
    fn a_wrong_key_or_tampering_is_an_error() {
        let a = crypto().encrypt("secret").unwrap();
        let other = Crypto::new(&[8u8; 32]).unwrap();
        assert!(other.decrypt(&a).is_err());
        let mut t = a.clone();
        t.replace_range(t.len() - 3..t.len() - 2, "A");
        let t2 = if t == a { format!("{a}AA") } else { t };
        assert!(crypto().decrypt(&t2).is_err());
        assert!(crypto().decrypt("plain").is_err());
    }

    #[test]
    fn blind_indexes_are_keyed_and_scoped() {
        let c = crypto();
        let h = c.blind_index("t1", "email", "ana@example.com");
        assert_eq!(h, c.blind_index("t1", "email", "ana@example.com"));
        assert_ne!(h, c.blind_index("t2", "email", "ana@example.com"));
        assert_ne!(h, c.blind_index("t1", "phone", "ana@example.com"));
        let other = Crypto::new(&[8u8; 32]).unwrap();
        assert_ne!(h, other.blind_index("t1", "email", "ana@example.com"));
        assert_eq!(h.len(), 64);
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_bad_ones_name_the_variable() {
        let hex_key = "00".repeat(32);
        assert_eq!(parse_key(&hex_key).unwrap(), [0u8; 32]);
        let b64 = STANDARD.encode([1u8; 32]);
        assert_eq!(parse_key(&b64).unwrap(), [1u8; 32]);
        for bad in [
            "short",
            "zz".repeat(32).as_str(),
            &STANDARD.encode([1u8; 16]),
        ] {
            let e = parse_key(bad).unwrap_err().to_string();
            assert!(e.contains(KEY_VAR), "{e}");
        }
    }

    #[test]
    fn missing_key_is_generated_on_sqlite_and_refused_on_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let e = resolve_key(None, true, dir.path()).unwrap_err().to_string();
        assert!(e.contains(KEY_VAR), "{e}");
        let k1 = resolve_key(None, false, dir.path()).unwrap();
        let k2 = resolve_key(Some(" "), false, dir.path()).unwrap();
        assert_eq!(k1, k2, "the generated key is reused");
        assert!(dir.path().join(DEV_KEY_FILE).exists());
        assert!(resolve_key(Some("nope"), false, dir.path()).is_err());
    }
}
