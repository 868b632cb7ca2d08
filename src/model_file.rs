//! The on-disk container shared by every model file of the project.
//!
//! Layout (little-endian):
//! `b"NUTGRAF\0"` magic (8) · kind tag (4, e.g. `b"NER1"`) · format version
//! (u32) · payload length (u64) · payload · SHA-256 of the payload (32).
//!
//! Why a container: a truncated, corrupt or wrong file must be a clear
//! start-up error ("models/ner.bin: checksum mismatch, file is corrupt"), not
//! a panic or garbage predictions. The payload encoding is up to each model;
//! [`ByteWriter`] / [`ByteReader`] give them one bounds-checked codec.

use sha2::{Digest, Sha256};
use std::path::Path;

const MAGIC: &[u8; 8] = b"NUTGRAF\0";
const HEADER_LEN: usize = 8 + 4 + 4 + 8;

/// Why a model file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read model file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("not a nutgraf model file (bad magic); expected a file written by `nutgraf train`")]
    BadMagic,
    #[error("model file holds a {found:?} model, expected {expected:?}")]
    WrongKind { expected: String, found: String },
    #[error("model format version {found} is not supported (this build reads version {expected}); retrain with this build's `nutgraf train`")]
    WrongVersion { expected: u32, found: u32 },
    #[error("model file is truncated ({0}); re-copy or retrain it")]
    Truncated(&'static str),
    #[error("model file checksum mismatch: the file is corrupt; re-copy or retrain it")]
    Checksum,
    #[error("model payload is malformed: {0}")]
    Malformed(String),
}

/// Wrap a payload in the container.
pub fn encode(kind: &[u8; 4], version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(kind);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&Sha256::digest(payload));
    out
}

/// Check the container and return the payload.
pub fn decode<'b>(bytes: &'b [u8], kind: &[u8; 4], version: u32) -> Result<&'b [u8], ModelError> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(ModelError::BadMagic);
    }
    if bytes.len() < HEADER_LEN {
        return Err(ModelError::Truncated("header"));
    }
    let found_kind = &bytes[8..12];
    if found_kind != kind {
        return Err(ModelError::WrongKind {
            expected: String::from_utf8_lossy(kind).into_owned(),
            found: String::from_utf8_lossy(found_kind).into_owned(),
        });
    }
    let mut r = ByteReader::new(&bytes[12..HEADER_LEN]);
    let found_version = r.u32()?;
    if found_version != version {
        return Err(ModelError::WrongVersion {
            expected: version,
            found: found_version,
        });
    }
    let len = usize::try_from(r.u64()?).map_err(|_| ModelError::Truncated("payload"))?;
    let end = HEADER_LEN
        .checked_add(len)
        .ok_or(ModelError::Truncated("payload"))?;
    let payload = bytes
        .get(HEADER_LEN..end)
        .ok_or(ModelError::Truncated("payload"))?;
    let sum = bytes
        .get(end..end + 32)
        .ok_or(ModelError::Truncated("checksum"))?;
    if Sha256::digest(payload).as_slice() != sum {
        return Err(ModelError::Checksum);
    }
    Ok(payload)
}

/// Read a whole model file, with the path in the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Hex SHA-256 of a whole file's bytes (reported by GetModelInfo and metrics).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Little-endian writer for model payloads.
#[derive(Default)]
pub struct ByteWriter {
    pub buf: Vec<u8>,
}

impl ByteWriter {
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i8(&mut self, v: i8) {
        self.buf.push(v as u8);
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.u64(v.len() as u64);
        self.buf.extend_from_slice(v);
    }
    pub fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    pub fn f32s(&mut self, v: &[f32]) {
        self.u64(v.len() as u64);
        for x in v {
            self.f32(*x);
        }
    }
}

/// Bounds-checked little-endian reader: every read returns `Truncated`
/// instead of panicking on a short buffer.
pub struct ByteReader<'b> {
    buf: &'b [u8],
    pos: usize,
}

impl<'b> ByteReader<'b> {
    pub fn new(buf: &'b [u8]) -> Self {
        ByteReader { buf, pos: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'b [u8], ModelError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(ModelError::Truncated("payload"))?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or(ModelError::Truncated("payload"))?;
        self.pos = end;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    pub fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.arr::<1>()?[0])
    }
    pub fn i8(&mut self) -> Result<i8, ModelError> {
        Ok(self.arr::<1>()?[0] as i8)
    }
    pub fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    pub fn u64(&mut self) -> Result<u64, ModelError> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    pub fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_le_bytes(self.arr()?))
    }
    /// A length prefix, checked against what is left so a corrupt length
    /// cannot trigger a huge allocation.
    pub fn len(&mut self, elem_size: usize) -> Result<usize, ModelError> {
        let n = usize::try_from(self.u64()?).map_err(|_| ModelError::Truncated("length"))?;
        let need = n
            .checked_mul(elem_size.max(1))
            .ok_or(ModelError::Truncated("length"))?;
        if need > self.remaining() {
            return Err(ModelError::Truncated("length"));
        }
        Ok(n)
    }
    pub fn bytes(&mut self) -> Result<&'b [u8], ModelError> {
        let n = self.len(1)?;
        self.take(n)
    }
    pub fn str(&mut self) -> Result<&'b str, ModelError> {
        std::str::from_utf8(self.bytes()?)
            .map_err(|_| ModelError::Malformed("invalid UTF-8 string".into()))
    }
    pub fn f32s(&mut self) -> Result<Vec<f32>, ModelError> {
        let n = self.len(4)?;
        (0..n).map(|_| self.f32()).collect()
    }
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let f = encode(b"TEST", 3, b"hello");
        assert_eq!(decode(&f, b"TEST", 3).unwrap(), b"hello");
        assert!(matches!(
            decode(&f, b"NER1", 3),
            Err(ModelError::WrongKind { .. })
        ));
        assert!(matches!(
            decode(&f, b"TEST", 4),
            Err(ModelError::WrongVersion { .. })
        ));
        let mut bad = f.clone();
        bad[HEADER_LEN] ^= 1;
        assert!(matches!(
            decode(&bad, b"TEST", 3),
            Err(ModelError::Checksum)
        ));
        assert!(matches!(
            decode(&f[..f.len() - 1], b"TEST", 3),
            Err(ModelError::Truncated(_))
        ));
        assert!(matches!(
            decode(b"garbage", b"TEST", 3),
            Err(ModelError::BadMagic)
        ));
    }

    #[test]
    fn reader_rejects_huge_lengths() {
        let mut w = ByteWriter::default();
        w.u64(u64::MAX);
        let mut r = ByteReader::new(&w.buf);
        assert!(r.bytes().is_err());
    }
}
