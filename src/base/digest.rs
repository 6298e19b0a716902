//! SHA-256 helpers shared by the pins, the toolchain and the manifest.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256, Sha512};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Hashes a file without reading it into memory (the codex binary is ~300 MB).
pub fn sha256_file(path: &Path) -> Result<String> {
    Ok(hex(&file_digest::<Sha256>(path)?))
}

/// A file's npm `integrity` (Subresource Integrity): `sha512-<base64>`.
pub fn sha512_integrity_file(path: &Path) -> Result<String> {
    use base64::Engine;
    // Standard base64 with padding (RFC 4648), as SRI strings spell digests.
    let digest = file_digest::<Sha512>(path)?;
    Ok(format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    ))
}

fn file_digest<D: Digest>(path: &Path) -> Result<Vec<u8>> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = D::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_vec())
}

/// A digest over named parts, so that moving bytes from one part to the next
/// changes the result.
pub fn sha256_parts<'a>(parts: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut hasher = Sha256::new();
    for (name, bytes) in parts {
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn an_sri_integrity_is_the_known_vector() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        // sha512("abc") from FIPS 180-2, in base64.
        assert_eq!(
            sha512_integrity_file(&p).unwrap(),
            "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
        );
    }

    #[test]
    fn file_hash_matches_bytes_hash() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(sha256_file(&p).unwrap(), sha256_hex(b"abc"));
    }

    #[test]
    fn parts_are_framed() {
        assert_ne!(
            sha256_parts([("a", b"bc".as_slice()), ("d", b"".as_slice())]),
            sha256_parts([("a", b"b".as_slice()), ("d", b"c".as_slice())])
        );
    }
}
