//! Reading raw zip records that the `zip` crate resolves away, and fencing its archive search.
//!
//! The `zip` crate keys entries by name, so an archive holding the same name twice shows only
//! one of them, and it never reports the names stored in local headers. Other extractors see
//! both, so the inspector reads these records itself.
//!
//! When opening, the `zip` crate tries every end-of-central-directory signature in the file,
//! last first, parsing a whole central directory for each until one works. A package stuffed
//! with signatures makes that quadratic (hours of CPU for 50 MB). [`Fenced`] hides every
//! signature but the last while the archive is opened, so it has exactly one candidate.

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};

use thiserror::Error;

/// Signature of a central directory file header.
const CENTRAL_SIG: u32 = 0x0201_4b50;
/// Fixed part of a central directory file header.
const CENTRAL_LEN: usize = 46;
/// Signature of a local file header.
const LOCAL_SIG: u32 = 0x0403_4b50;
/// Fixed part of a local file header.
const LOCAL_LEN: usize = 30;

/// Signature of the end of central directory record.
const EOCD_SIG: [u8; 4] = *b"PK\x05\x06";
/// Fixed part of the end of central directory record.
const EOCD_LEN: usize = 22;
/// Signature of the zip64 end of central directory locator.
const LOCATOR_SIG: u32 = 0x0706_4b50;
/// Size of the zip64 locator.
const LOCATOR_LEN: usize = 20;
/// Signature of the zip64 end of central directory record.
const EOCD64_SIG: [u8; 4] = *b"PK\x06\x06";
/// Most end-of-central-directory signatures a package may contain (nested stored zips each
/// add one).
const MAX_EOCD_SIGNATURES: usize = 4096;

/// A malformed raw record.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub(crate) enum RawError {
    /// A record runs past the end of the archive.
    #[error("truncated {0} header at offset {1}")]
    Truncated(&'static str, u64),
    /// A record does not start with its signature.
    #[error("bad {0} header signature at offset {1}")]
    BadSignature(&'static str, u64),
    /// No end of central directory record: not a zip at all.
    #[error("no end of central directory record")]
    NoEnd,
    /// Too many end-of-central-directory signatures to search safely.
    #[error("more than {MAX_EOCD_SIGNATURES} end of central directory signatures")]
    TooManyEnds,
}

/// Offsets of every end-of-central-directory signature, in order.
pub(crate) fn end_signatures(bytes: &[u8]) -> Result<Vec<usize>, RawError> {
    let mut found = Vec::new();
    for (at, window) in bytes.windows(4).enumerate() {
        if window == EOCD_SIG {
            if found.len() == MAX_EOCD_SIGNATURES {
                return Err(RawError::TooManyEnds);
            }
            found.push(at);
        }
    }
    if found.is_empty() {
        return Err(RawError::NoEnd);
    }
    Ok(found)
}

/// How many entries the end record at `eocd` declares, the way the `zip` crate reads it:
/// the larger of its two counts, or of the zip64 record's if it defers to one. `None` if a
/// zip64 record it defers to cannot be found (the `zip` crate then rejects it too).
pub(crate) fn declared_entries(bytes: &[u8], eocd: usize) -> Option<u64> {
    let rec = bytes.get(eocd..eocd.checked_add(EOCD_LEN)?)?;
    let on_disk = u16::from_le_bytes([rec[8], rec[9]]);
    let total = u16::from_le_bytes([rec[10], rec[11]]);
    let count = u64::from(on_disk.max(total));
    let cd_offset = read_u32(rec, 16)?;
    if total != u16::MAX && cd_offset != u32::MAX {
        return Some(count);
    }
    let locator = eocd.checked_sub(LOCATOR_LEN)?;
    if read_u32(bytes, locator) != Some(LOCATOR_SIG) {
        return Some(count);
    }
    let start = usize::try_from(read_u64(bytes, locator + 8)?).ok()?;
    let region = bytes.get(start..locator)?;
    let at = start + region.windows(4).position(|w| w == EOCD64_SIG)?;
    let z64 = read_u64(bytes, at + 24)?.max(read_u64(bytes, at + 32)?);
    Some(count.max(z64))
}

/// A reader over the package that, while `fenced` is set, shows every end-of-central-
/// directory signature except the last as zeros.
pub(crate) struct Fenced<'a> {
    bytes: &'a [u8],
    pos: u64,
    /// Sorted offsets of the hidden signatures.
    hidden: &'a [usize],
    fenced: &'a Cell<bool>,
}

impl<'a> Fenced<'a> {
    /// Fences `bytes`, hiding the signatures at `hidden` (sorted) while `fenced` is set.
    pub(crate) fn new(bytes: &'a [u8], hidden: &'a [usize], fenced: &'a Cell<bool>) -> Self {
        Fenced {
            bytes,
            pos: 0,
            hidden,
            fenced,
        }
    }
}

impl Read for Fenced<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let start = usize::try_from(self.pos)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        let src = &self.bytes[start..];
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        if self.fenced.get() {
            let end = start + n;
            let first = self
                .hidden
                .partition_point(|&h| h + EOCD_SIG.len() <= start);
            for &h in self.hidden[first..].iter().take_while(|&&h| h < end) {
                for at in h.max(start)..(h + EOCD_SIG.len()).min(end) {
                    buf[at - start] = 0;
                }
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Fenced<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => (self.bytes.len() as u64).checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

/// The raw names of the central directory records starting at `start`, up to `max + 1` of
/// them (enough to tell that there are too many).
pub(crate) fn central_names(bytes: &[u8], start: u64, max: usize) -> Result<Vec<&[u8]>, RawError> {
    let mut names = Vec::new();
    let mut pos = usize::try_from(start).map_err(|_| RawError::Truncated("central", start))?;
    while names.len() <= max && read_u32(bytes, pos) == Some(CENTRAL_SIG) {
        let at = pos as u64;
        let fixed = bytes
            .get(pos..pos + CENTRAL_LEN)
            .ok_or(RawError::Truncated("central", at))?;
        let name_len = usize::from(u16::from_le_bytes([fixed[28], fixed[29]]));
        let extra_len = usize::from(u16::from_le_bytes([fixed[30], fixed[31]]));
        let comment_len = usize::from(u16::from_le_bytes([fixed[32], fixed[33]]));
        let name_start = pos + CENTRAL_LEN;
        let name = bytes
            .get(name_start..name_start + name_len)
            .ok_or(RawError::Truncated("central", at))?;
        names.push(name);
        pos = name_start + name_len + extra_len + comment_len;
    }
    Ok(names)
}

/// The raw name stored in the local header at `offset`.
pub(crate) fn local_name(bytes: &[u8], offset: u64) -> Result<&[u8], RawError> {
    let pos = usize::try_from(offset).map_err(|_| RawError::Truncated("local", offset))?;
    let fixed = bytes
        .get(pos..pos.saturating_add(LOCAL_LEN))
        .ok_or(RawError::Truncated("local", offset))?;
    if read_u32(fixed, 0) != Some(LOCAL_SIG) {
        return Err(RawError::BadSignature("local", offset));
    }
    let name_len = usize::from(u16::from_le_bytes([fixed[26], fixed[27]]));
    let name_start = pos + LOCAL_LEN;
    bytes
        .get(name_start..name_start + name_len)
        .ok_or(RawError::Truncated("local", offset))
}

fn read_u32(bytes: &[u8], pos: usize) -> Option<u32> {
    let b = bytes.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

fn read_u64(bytes: &[u8], pos: usize) -> Option<u64> {
    let b = bytes.get(pos..pos.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_records_are_errors() {
        let mut rec = CENTRAL_SIG.to_le_bytes().to_vec();
        rec.extend_from_slice(&[0; 10]);
        assert_eq!(
            central_names(&rec, 0, 10),
            Err(RawError::Truncated("central", 0))
        );
        assert_eq!(
            local_name(&[0; 40], 0),
            Err(RawError::BadSignature("local", 0))
        );
        assert_eq!(local_name(&[0; 4], 2), Err(RawError::Truncated("local", 2)));
    }

    #[test]
    fn fenced_reader_hides_signatures_until_lifted() {
        let bytes = b"xxPK\x05\x06yyPK\x05\x06zz";
        let ends = end_signatures(bytes).expect("found");
        assert_eq!(ends, vec![2, 8]);
        let fenced = Cell::new(true);
        let mut r = Fenced::new(bytes, &ends[..1], &fenced);
        let mut all = Vec::new();
        r.read_to_end(&mut all).expect("read");
        assert_eq!(all, b"xx\0\0\0\0yyPK\x05\x06zz");
        // A read starting inside a hidden signature.
        r.seek(SeekFrom::Start(4)).expect("seek");
        let mut two = [9; 2];
        r.read_exact(&mut two).expect("read");
        assert_eq!(two, [0, 0]);
        fenced.set(false);
        r.seek(SeekFrom::End(-14)).expect("seek");
        let mut all = Vec::new();
        r.read_to_end(&mut all).expect("read");
        assert_eq!(all, bytes);
        assert!(r.seek(SeekFrom::Current(-100)).is_err());
    }

    #[test]
    fn zip64_declared_entries() {
        let mut bytes = vec![0u8; 8];
        let eocd64_at = bytes.len();
        bytes.extend_from_slice(&EOCD64_SIG);
        bytes.extend_from_slice(&[0; 52]);
        bytes[eocd64_at + 32..eocd64_at + 40].copy_from_slice(&70_000u64.to_le_bytes());
        bytes.extend_from_slice(&LOCATOR_SIG.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&(eocd64_at as u64).to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        let eocd = bytes.len();
        bytes.extend_from_slice(&EOCD_SIG);
        bytes.extend_from_slice(&[0; 18]);
        assert_eq!(declared_entries(&bytes, eocd), Some(0));
        bytes[eocd + 10..eocd + 12].copy_from_slice(&u16::MAX.to_le_bytes());
        assert_eq!(declared_entries(&bytes, eocd), Some(70_000));
        assert_eq!(declared_entries(&bytes, eocd + 1), None);
    }

    #[test]
    fn end_signature_limits() {
        assert_eq!(end_signatures(b"nothing here"), Err(RawError::NoEnd));
        let flood = EOCD_SIG.repeat(MAX_EOCD_SIGNATURES + 1);
        assert_eq!(end_signatures(&flood), Err(RawError::TooManyEnds));
    }

    #[test]
    fn no_records_is_empty() {
        assert_eq!(central_names(&[1, 2, 3], 0, 10), Ok(Vec::new()));
        assert_eq!(central_names(&[], 99, 10), Ok(Vec::new()));
    }
}
