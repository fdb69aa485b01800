//! Secrets and personal data at rest (the crm's PII, the ads and crm
//! platform credentials): AES-256-GCM encryption bound to where each value
//! lives, and keyed blind indexes (HMAC-SHA256), both from one master key
//! with separate derived keys; key ids in every ciphertext so keys rotate.
//!
//! Stored format `v2:<kid>:<base64(nonce ‖ ciphertext ‖ tag)>`: `kid` is a
//! fingerprint of the master key that encrypted it, and the associated
//! data binds tenant, table, row id and column, so a ciphertext copied to
//! another lead, column or tenant does not decrypt. Values written before
//! (`v1:`, no key id, no associated data) are still read; `mcp-crm
//! rotate-key` rewrites them.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::AppError;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The environment variable holding the master key.
pub const KEY_VAR: &str = "PROMPTSALES_ENCRYPTION_KEY";
/// The previous master key: read-only while `rotate-key` moves data off it.
pub const OLD_KEY_VAR: &str = "PROMPTSALES_ENCRYPTION_KEY_OLD";
/// File in the data directory holding the generated development key.
pub const DEV_KEY_FILE: &str = "crm-encryption.key";
/// The first format: no key id, no associated data (read only).
const V1: &str = "v1:";
/// The current format: key id and associated data.
const V2: &str = "v2:";
/// Domain of the associated data, so it can never collide with another use.
const AAD_DOMAIN: &str = "promptsales/crm/pii/v2";

/// Why no usable key was found.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "{var}: expected 32 bytes as 64 hex characters or base64 (e.g. `openssl rand -base64 32`), got {got}"
    )]
    Malformed { var: &'static str, got: String },
    #[error(
        "{KEY_VAR} is not set: PostgreSQL deployments must provide the key that encrypts personal data and platform credentials (32 bytes, hex or base64)"
    )]
    Missing,
    #[error("cannot read or create the development key {path}: {source}")]
    DevKey {
        path: String,
        source: std::io::Error,
    },
}

/// Parses a 32-byte key given as hex or base64 (`var` names it in errors).
fn parse_key_of(var: &'static str, raw: &str) -> Result<[u8; 32], KeyError> {
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.chars().all(|c| c.is_ascii_hexdigit()) {
        hex::decode(raw).ok()
    } else {
        STANDARD.decode(raw).ok()
    };
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| KeyError::Malformed {
            var,
            got: format!("a value of {} characters", raw.len()),
        })
}

/// Parses the master key given as hex or base64.
pub fn parse_key(raw: &str) -> Result<[u8; 32], KeyError> {
    parse_key_of(KEY_VAR, raw)
}

/// The previous key of a rotation, when `env_value` is set.
pub fn parse_old_key(env_value: Option<&str>) -> Result<Option<[u8; 32]>, KeyError> {
    env_value
        .filter(|v| !v.trim().is_empty())
        .map(|v| parse_key_of(OLD_KEY_VAR, v))
        .transpose()
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
    dev_key(data_dir)
}

/// The development key in `data_dir`, read if it exists, else created.
///
/// Creation is atomic: the key is written to a fresh private file
/// (`create_new`, mode 0600 from the start, so it is never readable by
/// others even for an instant) and published with a hard link, which fails
/// if the key file already exists. Two servers starting together therefore
/// agree on one key, and nobody ever reads a half-written one.
fn dev_key(data_dir: &Path) -> Result<[u8; 32], KeyError> {
    let path = data_dir.join(DEV_KEY_FILE);
    let io = |source| KeyError::DevKey {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            warn_if_shared(&path);
            return parse_key(&text);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| io(std::io::Error::other("no system randomness")))?;
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let mut suffix = [0u8; 8];
    SystemRandom::new()
        .fill(&mut suffix)
        .map_err(|_| io(std::io::Error::other("no system randomness")))?;
    let tmp = data_dir.join(format!(".{DEV_KEY_FILE}.{}.tmp", hex::encode(suffix)));
    let written = (|| {
        let mut f = private_new_file(&tmp)?;
        f.write_all(hex::encode(key).as_bytes())?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, &path)
    })();
    // The temporary name is only a staging step; whatever happened, drop it.
    let _ = std::fs::remove_file(&tmp);
    match written {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                "{KEY_VAR} not set: generated a development key for personal data and platform credentials; \
                 set {KEY_VAR} in production and keep it safe (losing it loses the data)"
            );
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path).map_err(io)?;
            parse_key(&text)
        }
        Err(e) => Err(io(e)),
    }
}

/// A new file only the owner can read, failing if the name exists.
fn private_new_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Warns when the development key file is readable by group or others.
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the development key file is readable by other users: chmod 600 it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Where a value is stored: what its ciphertext is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    pub tenant: &'a str,
    pub table: &'a str,
    pub row: &'a str,
    pub column: &'a str,
}

impl<'a> Field<'a> {
    /// A column of a row of `leads` (`name_enc`, `email_enc`, `phone_enc`).
    pub fn lead(tenant: &'a str, row: &'a str, column: &'a str) -> Self {
        Self {
            tenant,
            table: "leads",
            row,
            column,
        }
    }

    fn aad(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        for part in [AAD_DOMAIN, self.tenant, self.table, self.row, self.column] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

/// The sub-keys of one master key.
struct KeySet {
    /// Fingerprint of the master key, written into every ciphertext.
    id: String,
    aead: LessSafeKey,
    index: hmac::Key,
}

/// A derived sub-key: HMAC-SHA256(master, purpose), so the encryption key,
/// the index key and the key id are independent and none reveals the master.
fn derive(master: &[u8; 32], purpose: &str) -> [u8; 32] {
    let k = hmac::Key::new(hmac::HMAC_SHA256, master);
    let tag = hmac::sign(&k, purpose.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

impl KeySet {
    fn new(master: &[u8; 32]) -> Result<Self, AppError> {
        // The derivation labels are those of the first format: changing
        // them would orphan every stored value and blind index.
        let enc = derive(master, "promptsales/crm/pii-encryption/v1");
        let idx = derive(master, "promptsales/crm/blind-index/v1");
        let id = hex::encode(&derive(master, "promptsales/crm/key-id")[..8]);
        let unbound = UnboundKey::new(&AES_256_GCM, &enc)
            .map_err(|_| AppError::Internal("encryption key rejected".into()))?;
        Ok(Self {
            id,
            aead: LessSafeKey::new(unbound),
            index: hmac::Key::new(hmac::HMAC_SHA256, &idx),
        })
    }

    fn open(&self, raw: &[u8], aad: &[u8]) -> Option<String> {
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .aead
            .open_in_place(nonce, Aad::from(aad), &mut sealed)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }

    fn blind_index(&self, tenant: &str, kind: &str, normalised: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.index);
        for part in [tenant, kind, normalised] {
            ctx.update(&(part.len() as u32).to_be_bytes());
            ctx.update(part.as_bytes());
        }
        hex::encode(ctx.sign().as_ref())
    }
}

/// Encrypts, decrypts and blind-indexes personal data: the current key
/// writes, previous keys (during a rotation) only read.
#[derive(Clone)]
pub struct Crypto {
    current: Arc<KeySet>,
    previous: Arc<Vec<KeySet>>,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crypto")
            .field("key_id", &self.current.id)
            .finish_non_exhaustive()
    }
}

fn undecryptable() -> AppError {
    AppError::Internal(
        "personal data could not be decrypted (wrong PROMPTSALES_ENCRYPTION_KEY, or a value \
         moved to another row or column?)"
            .into(),
    )
}

impl Crypto {
    pub fn new(master: &[u8; 32]) -> Result<Self, AppError> {
        Ok(Self {
            current: Arc::new(KeySet::new(master)?),
            previous: Arc::new(Vec::new()),
        })
    }

    /// Also reads values written under `old` (a rotation in progress). The
    /// same key as the current one is ignored.
    pub fn with_previous(self, old: &[u8; 32]) -> Result<Self, AppError> {
        let old = KeySet::new(old)?;
        if old.id == self.current.id {
            return Ok(self);
        }
        Ok(Self {
            current: self.current,
            previous: Arc::new(vec![old]),
        })
    }

    /// The id of the key new values are written with.
    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    /// Whether previous keys are held (a rotation is in progress).
    pub fn has_previous(&self) -> bool {
        !self.previous.is_empty()
    }

    /// `v2:<kid>:` + base64(nonce ‖ ciphertext ‖ tag), bound to `at`; a
    /// fresh random nonce each time, so equal plaintexts differ at rest.
    pub fn encrypt(&self, at: Field<'_>, plaintext: &str) -> Result<String, AppError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| AppError::Internal("no system randomness".into()))?;
        let mut buf = plaintext.as_bytes().to_vec();
        self.current
            .aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(at.aad().as_slice()),
                &mut buf,
            )
            .map_err(|_| AppError::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{V2}{}:{}", self.current.id, STANDARD.encode(out)))
    }

    /// Encrypts an optional value.
    pub fn encrypt_opt(
        &self,
        at: Field<'_>,
        plaintext: Option<&str>,
    ) -> Result<Option<String>, AppError> {
        plaintext.map(|p| self.encrypt(at, p)).transpose()
    }

    /// Decrypts a value stored at `at`; a wrong key, a value moved from
    /// elsewhere or a tampered value is an error, never garbage.
    pub fn decrypt(&self, at: Field<'_>, stored: &str) -> Result<String, AppError> {
        if let Some(rest) = stored.strip_prefix(V2) {
            let (kid, body) = rest.split_once(':').ok_or_else(undecryptable)?;
            let key = self.key(kid).ok_or_else(|| {
                AppError::Internal(format!(
                    "personal data is encrypted with key {kid}, which this server does not hold \
                     (set {KEY_VAR}, or {OLD_KEY_VAR} while a rotation is unfinished)"
                ))
            })?;
            let raw = STANDARD.decode(body).map_err(|_| undecryptable())?;
            return key.open(&raw, &at.aad()).ok_or_else(undecryptable);
        }
        let body = stored.strip_prefix(V1).ok_or_else(undecryptable)?;
        let raw = STANDARD.decode(body).map_err(|_| undecryptable())?;
        // v1 carries no key id and no associated data: try each key held.
        std::iter::once(self.current.as_ref())
            .chain(self.previous.iter())
            .find_map(|k| k.open(&raw, &[]))
            .ok_or_else(undecryptable)
    }

    /// Decrypts an optional column.
    pub fn decrypt_opt(
        &self,
        at: Field<'_>,
        stored: Option<&str>,
    ) -> Result<Option<String>, AppError> {
        stored.map(|s| self.decrypt(at, s)).transpose()
    }

    /// Whether `stored` is in the current format under the current key
    /// (nothing for `rotate-key` to do).
    pub fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(V2)
            .and_then(|r| r.split_once(':'))
            .is_some_and(|(kid, _)| kid == self.current.id)
    }

    /// A value in the first format (no key id, no associated data), as
    /// servers before key ids wrote them: for tests of the upgrade path
    /// (a fixed nonce: never use it to store anything).
    #[doc(hidden)]
    pub fn encrypt_v1(&self, plaintext: &str) -> String {
        let nonce = [5u8; NONCE_LEN];
        let mut buf = plaintext.as_bytes().to_vec();
        self.current
            .aead
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .map_or_else(
                |_| String::new(),
                |()| {
                    let mut out = nonce.to_vec();
                    out.extend_from_slice(&buf);
                    format!("{V1}{}", STANDARD.encode(out))
                },
            )
    }

    fn key(&self, kid: &str) -> Option<&KeySet> {
        std::iter::once(self.current.as_ref())
            .chain(self.previous.iter())
            .find(|k| k.id == kid)
    }

    /// Keyed blind index of a normalised value under the current key: equal
    /// inputs (per tenant and kind) give equal hex digests, and nobody
    /// without the key can test a guess against the table.
    pub fn blind_index(&self, tenant: &str, kind: &str, normalised: &str) -> String {
        self.current.blind_index(tenant, kind, normalised)
    }

    /// The blind indexes of the value under the previous keys (rows a
    /// rotation has not reached yet still carry those).
    pub fn previous_blind_indexes(
        &self,
        tenant: &str,
        kind: &str,
        normalised: &str,
    ) -> Vec<String> {
        self.previous
            .iter()
            .map(|k| k.blind_index(tenant, kind, normalised))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crypto() -> Crypto {
        Crypto::new(&[7u8; 32]).unwrap()
    }

    const AT: Field<'static> = Field {
        tenant: "t1",
        table: "leads",
        row: "lead_1",
        column: "email_enc",
    };

    #[test]
    fn encryption_round_trips_is_randomised_and_names_its_key() {
        let c = crypto();
        let a = c.encrypt(AT, "ana@example.com").unwrap();
        let b = c.encrypt(AT, "ana@example.com").unwrap();
        assert_ne!(a, b);
        assert!(!a.contains("ana"));
        assert!(a.starts_with(&format!("v2:{}:", c.key_id())), "{a}");
        assert_eq!(c.key_id().len(), 16);
        assert!(c.is_current(&a));
        assert_eq!(c.decrypt(AT, &a).unwrap(), "ana@example.com");
    }

    #[test]
    fn a_ciphertext_is_bound_to_its_tenant_table_row_and_column() {
        let c = crypto();
        let a = c.encrypt(AT, "ana@example.com").unwrap();
        for moved in [
            Field { tenant: "t2", ..AT },
            Field {
                table: "sales",
                ..AT
            },
            Field {
                row: "lead_2",
                ..AT
            },
            Field {
                column: "phone_enc",
                ..AT
            },
        ] {
            assert!(c.decrypt(moved, &a).is_err(), "{moved:?}");
        }
        // Length prefixes: shifting a boundary between parts is a different binding.
        let shifted = Field {
            tenant: "t1l",
            table: "eads",
            ..AT
        };
        assert!(c.decrypt(shifted, &a).is_err());
    }

    #[test]
    fn a_wrong_key_or_tampering_is_an_error() {
        let a = crypto().encrypt(AT, "secret").unwrap();
        let other = Crypto::new(&[8u8; 32]).unwrap();
        let e = other.decrypt(AT, &a).unwrap_err().to_string();
        assert!(e.contains(OLD_KEY_VAR), "unknown key id named: {e}");
        let mut t = a.clone();
        t.replace_range(t.len() - 3..t.len() - 2, "A");
        let t2 = if t == a { format!("{a}AA") } else { t };
        assert!(crypto().decrypt(AT, &t2).is_err());
        assert!(crypto().decrypt(AT, "plain").is_err());
        // A forged key id does not help.
        let forged = a.replacen(crypto().key_id(), other.key_id(), 1);
        assert!(other.decrypt(AT, &forged).is_err());
    }

    /// A value of the first format (no key id, no associated data).
    fn v1(master: &[u8; 32], plaintext: &str) -> String {
        Crypto::new(master).unwrap().encrypt_v1(plaintext)
    }

    #[test]
    fn v1_values_are_still_read_and_are_not_current() {
        let old = v1(&[7u8; 32], "ana@example.com");
        assert_eq!(crypto().decrypt(AT, &old).unwrap(), "ana@example.com");
        assert!(!crypto().is_current(&old));
        // Under a rotation, a v1 value of the old key is read too.
        let rotating = Crypto::new(&[9u8; 32])
            .unwrap()
            .with_previous(&[7u8; 32])
            .unwrap();
        assert_eq!(rotating.decrypt(AT, &old).unwrap(), "ana@example.com");
        assert!(Crypto::new(&[9u8; 32]).unwrap().decrypt(AT, &old).is_err());
    }

    #[test]
    fn previous_keys_read_but_never_write() {
        let old = crypto();
        let stored = old.encrypt(AT, "x@y.co").unwrap();
        let new = Crypto::new(&[9u8; 32])
            .unwrap()
            .with_previous(&[7u8; 32])
            .unwrap();
        assert!(new.has_previous());
        assert_eq!(new.decrypt(AT, &stored).unwrap(), "x@y.co");
        assert!(!new.is_current(&stored));
        let fresh = new.encrypt(AT, "x@y.co").unwrap();
        assert!(new.is_current(&fresh) && !old.is_current(&fresh));
        assert_eq!(
            new.previous_blind_indexes("t", "email", "x@y.co"),
            vec![old.blind_index("t", "email", "x@y.co")]
        );
        // The same key as "previous" is no rotation.
        assert!(!crypto().with_previous(&[7u8; 32]).unwrap().has_previous());
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
    fn debug_output_shows_no_key_material() {
        let s = format!("{:?}", crypto());
        assert!(s.contains("key_id") && !s.contains("0707"), "{s}");
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
        let e = parse_old_key(Some("short")).unwrap_err().to_string();
        assert!(e.contains(OLD_KEY_VAR), "{e}");
        assert_eq!(parse_old_key(Some(" ")).unwrap(), None);
        assert_eq!(parse_old_key(Some(&b64)).unwrap(), Some([1u8; 32]));
    }

    #[test]
    fn missing_key_is_generated_on_sqlite_and_refused_on_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let e = resolve_key(None, true, dir.path()).unwrap_err().to_string();
        assert!(e.contains(KEY_VAR), "{e}");
        let k1 = resolve_key(None, false, dir.path()).unwrap();
        let k2 = resolve_key(Some(" "), false, dir.path()).unwrap();
        assert_eq!(k1, k2, "the generated key is reused");
        let path = dir.path().join(DEV_KEY_FILE);
        assert!(path.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        // No staging file is left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [DEV_KEY_FILE]);
        assert!(resolve_key(Some("nope"), false, dir.path()).is_err());
    }

    #[test]
    fn concurrent_first_starts_agree_on_one_development_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let keys: Vec<[u8; 32]> = (0..8)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || resolve_key(None, false, &p).unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(resolve_key(None, false, &path).unwrap(), keys[0]);
    }
}
