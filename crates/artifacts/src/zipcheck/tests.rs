//! Tests for zip inspection, over archives built in memory.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;

enum E<'a> {
    Stored(&'a str, &'a [u8]),
    Deflated(&'a str, &'a [u8]),
    Dir(&'a str),
    Link(&'a str, &'a str),
}

fn build(entries: &[E<'_>]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = |m| SimpleFileOptions::default().compression_method(m);
    for e in entries {
        match e {
            E::Stored(name, data) | E::Deflated(name, data) => {
                let method = match e {
                    E::Stored(..) => CompressionMethod::Stored,
                    _ => CompressionMethod::Deflated,
                };
                w.start_file(*name, opts(method)).expect("start file");
                w.write_all(data).expect("write");
            }
            E::Dir(name) => w
                .add_directory(*name, SimpleFileOptions::default())
                .expect("dir"),
            E::Link(name, target) => w
                .add_symlink(*name, *target, SimpleFileOptions::default())
                .expect("symlink"),
        }
    }
    w.finish().expect("finish").into_inner()
}

fn inspect(bytes: &[u8]) -> Result<PackageInfo, PackageError> {
    inspect_zip(bytes, &Limits::default())
}

/// Offsets of (central header, local header) for each entry, in archive order.
fn headers(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut a = ZipArchive::new(Cursor::new(bytes)).expect("open");
    (0..a.len())
        .map(|i| {
            let f = a.by_index_raw(i).expect("entry");
            (f.central_header_start() as usize, f.header_start() as usize)
        })
        .collect()
}

fn put_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn get_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// Rewrites an entry's uncompressed size in both its local and central headers.
fn set_uncompressed_size(bytes: &mut [u8], entry: usize, size: u32) {
    let (central, local) = headers(bytes)[entry];
    put_u32(bytes, central + 24, size);
    put_u32(bytes, local + 22, size);
}

fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

#[test]
fn accepts_a_normal_package() {
    let big = b"hello world\n".repeat(1000);
    let index = b"exports.handler = async () => 1;\n";
    let bytes = build(&[
        E::Dir("lib/"),
        E::Stored("index.js", index),
        E::Deflated("lib/data.txt", &big),
        E::Link("lib/current", "data.txt"),
        E::Link("bin/tool", "../lib/data.txt"),
        E::Deflated("./dot/x", b"x"),
    ]);
    let info = inspect(&bytes).expect("valid");
    let (hex, b64) = code_sha256(&bytes);
    assert_eq!(info.sha256_hex, hex);
    assert_eq!(info.sha256_b64, b64);
    assert_eq!(info.sha256_hex.len(), 64);
    assert_eq!(info.sha256_b64.len(), 44);
    assert_eq!(info.size, bytes.len() as u64);
    let expected = index.len() + big.len() + "data.txt".len() + "../lib/data.txt".len() + 1;
    assert_eq!(info.unzipped_size, expected as u64);
    assert_eq!(info.entries, 6);
}

#[test]
fn known_digest() {
    let (hex, b64) = code_sha256(b"abc");
    assert_eq!(
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(b64, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

#[test]
fn empty_zip_is_valid() {
    let bytes = build(&[]);
    assert_eq!(bytes.len(), 22);
    let info = inspect(&bytes).expect("valid");
    assert_eq!(info.entries, 0);
    assert_eq!(info.unzipped_size, 0);
}

#[test]
fn garbage_is_not_a_zip() {
    for bytes in [&b""[..], b"not a zip at all", &[0u8; 100]] {
        assert!(matches!(inspect(bytes), Err(PackageError::NotAZip(_))));
    }
    let mut truncated = build(&[E::Stored("a", b"aaaa")]);
    truncated.truncate(truncated.len() - 10);
    assert!(matches!(inspect(&truncated), Err(PackageError::NotAZip(_))));
}

#[test]
fn zipped_size_limit() {
    let bytes = build(&[E::Stored("a", &[7; 100])]);
    let limits = Limits {
        max_zipped: 50,
        ..Limits::default()
    };
    assert_eq!(
        inspect_zip(&bytes, &limits),
        Err(PackageError::TooLargeZipped {
            size: bytes.len() as u64,
            limit: 50
        })
    );
}

#[test]
fn entry_count_limit() {
    let names: Vec<String> = (0..5).map(|i| format!("f{i}")).collect();
    let entries: Vec<E<'_>> = names.iter().map(|n| E::Stored(n, b"x")).collect();
    let bytes = build(&entries);
    let at = |max_entries| {
        inspect_zip(
            &bytes,
            &Limits {
                max_entries,
                ..Limits::default()
            },
        )
    };
    assert_eq!(at(5).map(|i| i.entries), Ok(5));
    assert_eq!(at(4), Err(PackageError::TooManyEntries { limit: 4 }));
}

#[test]
fn unsafe_names_are_rejected() {
    for name in [
        "/etc/passwd",
        "../evil",
        "a/../../evil",
        "a/..",
        "C:/windows/evil",
        "..\\evil",
        "a\\b",
    ] {
        let bytes = build(&[E::Stored("ok", b"1"), E::Stored(name, b"x")]);
        assert_eq!(
            inspect(&bytes),
            Err(PackageError::UnsafePath(name.to_owned())),
            "{name}"
        );
    }
    let bytes = build(&[E::Dir("../up/")]);
    assert!(matches!(inspect(&bytes), Err(PackageError::UnsafePath(_))));
}

#[test]
fn nul_in_name_is_rejected() {
    let mut bytes = build(&[E::Stored("aXb", b"x")]);
    assert_eq!(replace_all(&mut bytes, b"aXb", b"a\0b"), 2);
    assert!(matches!(inspect(&bytes), Err(PackageError::UnsafePath(_))));
}

#[test]
fn unsafe_local_header_name_is_rejected() {
    // The central directory says `xx/a`; the local header (used by streaming extractors) says
    // `../a`.
    let mut bytes = build(&[E::Stored("xx/a", b"x")]);
    let (_, local) = headers(&bytes)[0];
    bytes[local + 30..local + 34].copy_from_slice(b"../a");
    assert_eq!(
        inspect(&bytes),
        Err(PackageError::UnsafePath("../a".into()))
    );
}

#[test]
fn duplicate_names_are_rejected() {
    let mut bytes = build(&[E::Stored("a.txt", b"1"), E::Stored("b.txt", b"1")]);
    assert_eq!(replace_all(&mut bytes, b"b.txt", b"a.txt"), 2);
    assert!(matches!(
        inspect(&bytes),
        Err(PackageError::UnsafePath(m)) if m.contains("duplicate")
    ));

    let bytes = build(&[E::Stored("a/b", b"1"), E::Stored("./a//b", b"2")]);
    assert!(matches!(
        inspect(&bytes),
        Err(PackageError::UnsafePath(m)) if m.contains("duplicate")
    ));
}

#[test]
fn symlinks_inside_the_package_are_fine() {
    let bytes = build(&[
        E::Stored("real/file", b"x"),
        E::Link("a", "real/file"),
        E::Link("d/e/f", "../../real"),
        E::Link("self", "."),
        E::Link("via", "d/e/f/file"),
    ]);
    assert_eq!(inspect(&bytes).map(|i| i.entries), Ok(5));
}

#[test]
fn escaping_symlinks_are_rejected() {
    for (name, target) in [
        ("a", "/etc/passwd"),
        ("a", ".."),
        ("d/a", "../../etc"),
        ("a", "x/../../y"),
        ("a", ""),
        ("a", "x\\..\\..\\y"),
    ] {
        let bytes = build(&[E::Stored("ok", b"1"), E::Link(name, target)]);
        assert_eq!(
            inspect(&bytes),
            Err(PackageError::UnsafeSymlink {
                name: name.to_owned(),
                target: target.to_owned()
            }),
            "{name} -> {target}"
        );
    }
}

#[test]
fn chained_symlinks_cannot_escape() {
    // `d/up` is the root, so `d/up/..` is its parent even though it reads as `d`.
    let bytes = build(&[E::Link("d/up", ".."), E::Link("out", "d/up/..")]);
    assert_eq!(
        inspect(&bytes),
        Err(PackageError::UnsafeSymlink {
            name: "out".into(),
            target: "d/up/..".into()
        })
    );
    // Order does not matter: the escaping link may come first.
    let bytes = build(&[E::Link("out", "d/up/../x"), E::Link("d/up", "..")]);
    assert!(matches!(
        inspect(&bytes),
        Err(PackageError::UnsafeSymlink { name, .. }) if name == "out"
    ));
}

#[test]
fn symlink_loops_are_rejected() {
    let bytes = build(&[E::Link("a", "b"), E::Link("b", "a")]);
    assert!(matches!(
        inspect(&bytes),
        Err(PackageError::UnsafeSymlink { .. })
    ));
}

#[test]
fn long_symlink_targets_are_rejected() {
    let target = "a/".repeat(3000);
    let bytes = build(&[E::Link("l", &target)]);
    assert_eq!(
        inspect(&bytes),
        Err(PackageError::UnsafeSymlink {
            name: "l".into(),
            target: "<6000 bytes>".into()
        })
    );
}

#[test]
fn stored_entry_larger_than_its_header_is_a_bomb() {
    let mut bytes = build(&[E::Stored("ok", b"1"), E::Stored("liar", &[b'z'; 5000])]);
    set_uncompressed_size(&mut bytes, 1, 10);
    assert_eq!(
        inspect(&bytes),
        Err(PackageError::Bomb {
            name: "liar".into()
        })
    );
}

#[test]
fn deflated_entry_larger_than_its_header_is_a_bomb() {
    let mut bytes = build(&[E::Deflated("liar", &[0; 100_000])]);
    set_uncompressed_size(&mut bytes, 0, 1000);
    assert_eq!(
        inspect(&bytes),
        Err(PackageError::Bomb {
            name: "liar".into()
        })
    );
}

#[test]
fn entry_shorter_than_its_header_is_rejected() {
    let mut bytes = build(&[E::Deflated("short", &[1; 1000])]);
    set_uncompressed_size(&mut bytes, 0, 2000);
    assert!(matches!(inspect(&bytes), Err(PackageError::NotAZip(_))));
}

#[test]
fn high_ratio_is_a_bomb() {
    let bytes = build(&[E::Deflated("zeros", &vec![0; 4 * 1024 * 1024])]);
    let limits = Limits {
        max_ratio: 100,
        ..Limits::default()
    };
    assert_eq!(
        inspect_zip(&bytes, &limits),
        Err(PackageError::Bomb {
            name: "zeros".into()
        })
    );
}

#[test]
fn small_compressible_files_are_fine() {
    // Far above the ratio, but under the 1 MiB grace.
    let bytes = build(&[E::Deflated("zeros", &vec![0; 1024 * 1024])]);
    let limits = Limits {
        max_ratio: 2,
        ..Limits::default()
    };
    assert_eq!(
        inspect_zip(&bytes, &limits).map(|i| i.unzipped_size),
        Ok(1024 * 1024)
    );
}

#[test]
fn unzipped_size_limit() {
    let bytes = build(&[E::Deflated("a", &[1; 600]), E::Deflated("b", &[2; 600])]);
    let at = |max_unzipped| {
        inspect_zip(
            &bytes,
            &Limits {
                max_unzipped,
                ..Limits::default()
            },
        )
    };
    assert_eq!(at(1200).map(|i| i.unzipped_size), Ok(1200));
    assert_eq!(
        at(1199),
        Err(PackageError::TooLargeUnzipped { limit: 1199 })
    );
}

#[test]
fn unzipped_size_is_counted_not_declared() {
    // Both headers under-declare; the running count trips before either mismatch is seen.
    let mut bytes = build(&[E::Stored("a", &[1; 800]), E::Stored("b", &[2; 800])]);
    set_uncompressed_size(&mut bytes, 0, 800);
    set_uncompressed_size(&mut bytes, 1, 100);
    let limits = Limits {
        max_unzipped: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        inspect_zip(&bytes, &limits),
        Err(PackageError::TooLargeUnzipped { .. } | PackageError::Bomb { .. })
    ));
}

#[test]
fn corrupt_data_fails_the_crc() {
    let mut bytes = build(&[E::Stored("a", b"hello hello hello")]);
    assert_eq!(replace_all(&mut bytes, b"hello hello", b"jello hello"), 1);
    assert!(matches!(
        inspect(&bytes),
        Err(PackageError::NotAZip(m)) if m.contains("checksum")
    ));
}

#[test]
fn unsupported_compression_is_not_a_zip() {
    let mut bytes = build(&[E::Deflated("a", b"hello")]);
    let (central, local) = headers(&bytes)[0];
    bytes[central + 10] = 12; // bzip2
    bytes[local + 8] = 12;
    assert!(matches!(inspect(&bytes), Err(PackageError::NotAZip(_))));
}

#[test]
fn overlapping_entries_are_rejected() {
    // Three central records share one local entry: the classic overlapping bomb layout.
    let mut bytes = build(&[
        E::Stored("a", &[9; 10_000]),
        E::Stored("b", b"1"),
        E::Stored("c", b"2"),
    ]);
    let h = headers(&bytes);
    let (first_central, first_local) = h[0];
    let crc = get_u32(&bytes, first_central + 16);
    for &(central, _) in &h[1..] {
        put_u32(&mut bytes, central + 16, crc);
        put_u32(&mut bytes, central + 20, 10_000);
        put_u32(&mut bytes, central + 24, 10_000);
        put_u32(&mut bytes, central + 42, first_local as u32);
    }
    assert!(matches!(
        inspect(&bytes),
        Err(PackageError::NotAZip(m)) if m.contains("overlaps")
    ));
}

#[test]
fn nested_stored_zips_are_fine() {
    let inner = build(&[E::Stored("inner.txt", b"inside")]);
    let empty = build(&[]);
    let bytes = build(&[
        E::Stored("lib/inner.jar", &inner),
        E::Stored("empty.zip", &empty),
        E::Deflated("lib/inner2.jar", &inner),
    ]);
    let info = inspect(&bytes).expect("valid");
    assert_eq!(info.entries, 3);
    assert_eq!(info.unzipped_size, (2 * inner.len() + empty.len()) as u64);
}

/// A package of `entries` empty stored files followed by `fakes` copies of its end record,
/// each declaring one entry more than the central directory holds.
fn flooded(entries: u16, fakes: usize) -> Vec<u8> {
    let names: Vec<String> = (0..entries).map(|i| format!("{i:x}")).collect();
    let stored: Vec<E<'_>> = names.iter().map(|n| E::Stored(n, b"")).collect();
    let mut bytes = build(&stored);
    let mut fake = bytes[bytes.len() - 22..].to_vec();
    let declared = (entries + 1).to_le_bytes();
    fake[8..10].copy_from_slice(&declared);
    fake[10..12].copy_from_slice(&declared);
    for _ in 0..fakes {
        bytes.extend_from_slice(&fake);
    }
    bytes
}

/// Counts the bytes the `zip` crate reads through it.
struct Counting<'a, R> {
    inner: R,
    read: &'a Cell<u64>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for Counting<'_, R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

/// Opens `bytes` the way [`inspect_zip`] does, with the fence up or down: whether the `zip`
/// crate found an archive, and how many bytes it read to decide.
fn open_counting(bytes: &[u8], fence: bool) -> (bool, u64) {
    let ends = rawzip::end_signatures(bytes).expect("end records");
    let (_, hidden) = ends.split_last().expect("at least one");
    let fenced = Cell::new(fence);
    let read = Cell::new(0);
    let opened = ZipArchive::new(Counting {
        inner: rawzip::Fenced::new(bytes, hidden, &fenced),
        read: &read,
    });
    (opened.is_ok(), read.get())
}

#[test]
fn flood_of_end_records_is_rejected() {
    // Fake end records after the real one would each make the `zip` crate parse the whole
    // central directory again: quadratic work in the package size.
    let bytes = flooded(2000, 4000);
    assert!(matches!(inspect(&bytes), Err(PackageError::NotAZip(_))));
    // With the fence only the last end record is tried (and it does not match its directory),
    // so the package is read no more than twice over.
    let (opened, read) = open_counting(&bytes, true);
    assert!(!opened);
    assert!(
        read <= 2 * bytes.len() as u64,
        "read {read} bytes of a {} byte package",
        bytes.len()
    );
}

#[test]
fn without_the_fence_opening_a_flood_reads_the_directory_once_per_end_record() {
    // The control for the test above, on a flood small enough to search unfenced: the count
    // tells the fenced search from the quadratic one.
    let bytes = flooded(200, 400);
    let len = bytes.len() as u64;
    let (opened, fenced) = open_counting(&bytes, true);
    assert!(
        !opened && fenced <= 2 * len,
        "fenced: read {fenced} of {len} bytes"
    );
    // Unfenced, the `zip` crate tries every fake record, last first, before the real one.
    let (opened, unfenced) = open_counting(&bytes, false);
    assert!(
        opened && unfenced > 50 * len,
        "unfenced: read {unfenced} of {len} bytes"
    );
}

#[test]
fn default_limits() {
    let l = Limits::default();
    assert_eq!(l.max_zipped, 52_428_800);
    assert_eq!(l.max_unzipped, 262_144_000);
}

#[test]
fn error_messages_are_lowercase() {
    let e = PackageError::UnsafeSymlink {
        name: "a".into(),
        target: "/b".into(),
    };
    assert_eq!(e.to_string(), "unsafe symlink in package: a -> /b");
    assert_eq!(
        PackageError::TooManyEntries { limit: 3 }.to_string(),
        "package has more than 3 entries"
    );
}
