//! Passphrase encryption of project files, for projects that leave the plant's network.
//!
//! An encrypted project is the project's JSON sealed with XChaCha20-Poly1305 (an AEAD: it both
//! hides the content and detects any change to it) under a key stretched from the passphrase by
//! Argon2id (RFC 9106), so that guessing passphrases costs memory and time. The file is:
//!
//! ```text
//! "glassbox encrypted project\n"   27 bytes, so a person (or `head`) sees what the file is
//! format       1 byte   1
//! kdf          1 byte   1 = Argon2id, version 0x13
//! m_cost       u32 LE   memory in KiB
//! t_cost       u32 LE   passes
//! p_cost       u32 LE   lanes
//! salt         16 bytes random, new for every save
//! nonce        24 bytes random, new for every save
//! ciphertext   the JSON, then the 16-byte Poly1305 tag
//! ```
//!
//! Everything before the ciphertext is authenticated as associated data, so the cost settings
//! cannot be changed without the tag failing. The costs are those of OWASP's recommendation for
//! Argon2id (19 MiB, 2 passes, 1 lane); a file may state others, up to limits that stop a crafted
//! file from asking for gigabytes. A wrong passphrase and a changed file look the same to the
//! cipher (the tag does not match), and the message says both.
//!
//! Salts and nonces come from the operating system's random source; they are the only random
//! part of Glassbox that is not seeded, as a repeated nonce would break the cipher. The project
//! inside stays as deterministic as ever.

use std::path::Path;
use std::sync::Mutex;

use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The first bytes of every encrypted project.
pub const MAGIC: &[u8] = b"glassbox encrypted project\n";

const FORMAT: u8 = 1;
const KDF_ARGON2ID: u8 = 1;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = MAGIC.len() + 2 + 12 + SALT_LEN + NONCE_LEN;

/// Argon2id memory in KiB (OWASP: 19 MiB).
pub const M_COST_KIB: u32 = 19 * 1024;
/// Argon2id passes (OWASP: 2).
pub const T_COST: u32 = 2;
/// Argon2id lanes.
pub const P_COST: u32 = 1;

/// Largest costs a file may ask for: 1 GiB, 16 passes, 8 lanes.
const MAX_M_COST_KIB: u32 = 1024 * 1024;
const MAX_T_COST: u32 = 16;
const MAX_P_COST: u32 = 8;

/// A passphrase, wiped from memory when dropped and never printed.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(hidden)")
    }
}

impl Passphrase {
    /// A passphrase from its bytes.
    ///
    /// # Errors
    /// When it is empty.
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        let bytes = Zeroizing::new(bytes);
        if bytes.is_empty() {
            return Err(Error::invalid("the passphrase is empty; a project cannot be encrypted with nothing"));
        }
        Ok(Self(bytes))
    }

    /// The passphrase a file holds: its content without one line ending at the end (as an
    /// editor or `echo` leaves it).
    ///
    /// # Errors
    /// When the file cannot be read or holds nothing.
    pub fn from_file(path: &Path) -> Result<Self> {
        let mut bytes = std::fs::read(path).map_err(|e| Error::io("reading the passphrase file", path, e))?;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Self::new(bytes).map_err(|_| Error::in_file("the passphrase file is empty", path))
    }
}

/// True when `bytes` are an encrypted project (they start with [`MAGIC`]).
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Encrypts `plain` under `passphrase` with a fresh salt and nonce.
///
/// # Errors
/// When the operating system gives no random bytes, or the key cannot be derived.
pub fn seal(plain: &[u8], passphrase: &Passphrase) -> Result<Vec<u8>> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut salt)
        .and_then(|()| getrandom::fill(&mut nonce))
        .map_err(|e| Error::invalid(format!("the system gave no random bytes for the encryption: {e}")))?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.push(FORMAT);
    header.push(KDF_ARGON2ID);
    for v in [M_COST_KIB, T_COST, P_COST] {
        header.extend_from_slice(&v.to_le_bytes());
    }
    header.extend_from_slice(&salt);
    header.extend_from_slice(&nonce);
    let key = derive_key(passphrase, &salt, M_COST_KIB, T_COST, P_COST)?;
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    let sealed = cipher
        .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad: &header })
        .map_err(|_| Error::invalid("the project could not be encrypted"))?;
    header.extend_from_slice(&sealed);
    Ok(header)
}

/// Decrypts an encrypted project read from `path` (named in messages).
///
/// # Errors
/// A wrong passphrase or a changed file (the cipher cannot tell them apart), a damaged header,
/// or costs beyond what Glassbox accepts.
pub fn open(bytes: &[u8], passphrase: &Passphrase, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let damaged = |what: &str| Error::in_file(format!("the encrypted project is damaged: {what}"), path);
    let rest = bytes.strip_prefix(MAGIC).ok_or_else(|| damaged("it does not start as an encrypted project does"))?;
    let (&[format, kdf], rest) = rest.split_first_chunk::<2>().ok_or_else(|| damaged("it ends in its header"))?;
    if format != FORMAT || kdf != KDF_ARGON2ID {
        return Err(Error::in_file(
            format!(
                "this project was encrypted by a newer Glassbox (encryption format {format}, key derivation {kdf}); \
                 open it with that version or newer"
            ),
            path,
        ));
    }
    let (costs, rest) = rest.split_first_chunk::<12>().ok_or_else(|| damaged("it ends in its header"))?;
    let (salt, rest) = rest.split_first_chunk::<SALT_LEN>().ok_or_else(|| damaged("it ends in its header"))?;
    let (nonce, ciphertext) = rest.split_first_chunk::<NONCE_LEN>().ok_or_else(|| damaged("it ends in its header"))?;
    if ciphertext.len() < TAG_LEN {
        return Err(damaged("it ends before its content"));
    }
    let cost =
        |i: usize| costs.get(i * 4..i * 4 + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map_or(0, u32::from_le_bytes);
    let (m, t, p) = (cost(0), cost(1), cost(2));
    if m > MAX_M_COST_KIB || t > MAX_T_COST || p > MAX_P_COST {
        return Err(Error::in_file(
            format!(
                "the encrypted project asks for a key derivation of {} MiB, {t} passes and {p} lanes, more than \
                 Glassbox allows ({} MiB, {MAX_T_COST} passes, {MAX_P_COST} lanes)",
                m / 1024,
                MAX_M_COST_KIB / 1024
            ),
            path,
        ));
    }
    let header = bytes.get(..HEADER_LEN).ok_or_else(|| damaged("it ends in its header"))?;
    let key = derive_key(passphrase, salt, m, t, p).map_err(|e| damaged(&e.to_string()))?;
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    cipher.decrypt(&XNonce::from(*nonce), Payload { msg: ciphertext, aad: header }).map(Zeroizing::new).map_err(|_| {
        Error::in_file(
            "the passphrase does not open this project: it is wrong, or the file was changed after it was encrypted",
            path,
        )
    })
}

/// The 32-byte key Argon2id stretches from the passphrase and salt.
fn derive_key(passphrase: &Passphrase, salt: &[u8], m: u32, t: u32, p: u32) -> Result<Zeroizing<[u8; 32]>> {
    let params = argon2::Params::new(m, t, p, Some(32))
        .map_err(|e| Error::invalid(format!("unusable key derivation settings: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(&passphrase.0, salt, key.as_mut())
        .map_err(|e| Error::invalid(format!("the key could not be derived from the passphrase: {e}")))?;
    Ok(key)
}

/// The passphrase this program was given for the projects it opens (on the command line, from
/// `--passphrase-file` or the environment), used by [`super::Project::load`] when a file is
/// encrypted. Code that opens one project with a known passphrase calls
/// [`super::Project::load_with`] instead.
static REMEMBERED: Mutex<Option<Passphrase>> = Mutex::new(None);

/// Sets (or clears) the passphrase [`super::Project::load`] uses for encrypted files.
pub fn remember(passphrase: Option<Passphrase>) {
    if let Ok(mut p) = REMEMBERED.lock() {
        *p = passphrase;
    }
}

/// The passphrase set by [`remember`], if any.
pub fn remembered() -> Option<Passphrase> {
    REMEMBERED.lock().ok().and_then(|p| p.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.as_bytes().to_vec()).expect("not empty")
    }

    #[test]
    fn sealed_bytes_open_with_the_passphrase_only_and_any_change_is_caught() {
        let path = Path::new("p.glassbox");
        let plain = br#"{"format":"glassbox-project"}"#;
        let sealed = seal(plain, &pass("correct horse")).expect("seals");
        assert!(is_sealed(&sealed) && !is_sealed(plain));
        assert_eq!(sealed.len(), HEADER_LEN + plain.len() + TAG_LEN);
        assert_eq!(open(&sealed, &pass("correct horse"), path).expect("opens").as_slice(), plain);
        let wrong = open(&sealed, &pass("correct horsf"), path).expect_err("wrong passphrase");
        assert!(wrong.to_string().contains("passphrase does not open"), "{wrong}");
        // A changed cost in the header (authenticated) or a flipped content bit fails the same way.
        for at in [MAGIC.len() + 2, HEADER_LEN + 3] {
            let mut changed = sealed.clone();
            changed[at] ^= 1;
            assert!(open(&changed, &pass("correct horse"), path).is_err(), "byte {at}");
        }
        // Every save draws a new salt and nonce.
        assert_ne!(seal(plain, &pass("correct horse")).expect("seals"), sealed);
    }

    #[test]
    fn crafted_headers_are_refused_before_any_work() {
        let path = Path::new("p.glassbox");
        let mut greedy = seal(b"{}", &pass("x")).expect("seals");
        greedy[MAGIC.len() + 2..MAGIC.len() + 6].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = open(&greedy, &pass("x"), path).expect_err("too costly");
        assert!(e.to_string().contains("more than Glassbox allows"), "{e}");
        let e = open(&greedy[..40], &pass("x"), path).expect_err("short");
        assert!(e.to_string().contains("damaged"), "{e}");
        assert!(Passphrase::new(Vec::new()).is_err());
        assert_eq!(format!("{:?}", pass("secret")), "Passphrase(hidden)");
    }
}
