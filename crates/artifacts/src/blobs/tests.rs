//! Tests for the blob store, on temporary directories.

use std::collections::HashSet;
use std::fs;

use super::*;
use crate::code_sha256;

fn key(bytes: &[u8]) -> String {
    code_sha256(bytes).0
}

fn store() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = BlobStore::open(dir.path().join("blobs")).expect("open");
    (dir, store)
}

#[test]
fn open_creates_the_layout_and_clears_tmp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("a/b/blobs");
    let store = BlobStore::open(&root).expect("open");
    assert!(root.join("tmp").is_dir());
    assert_eq!(store.root(), root);

    fs::write(root.join("tmp/leftover.1.2"), b"partial").expect("write");
    let k = key(b"kept");
    store.put(&k, b"kept").expect("put");
    drop(store);
    let store = BlobStore::open(&root).expect("reopen");
    assert_eq!(fs::read_dir(root.join("tmp")).expect("ls").count(), 0);
    assert_eq!(store.read(&k).expect("read"), b"kept");
}

#[test]
fn put_read_roundtrip() {
    let (_dir, store) = store();
    let bytes = b"zip bytes".to_vec();
    let k = key(&bytes);
    assert!(!store.exists(&k));
    store.put(&k, &bytes).expect("put");
    assert!(store.exists(&k));
    assert_eq!(store.read(&k).expect("read"), bytes);
    let path = store.path(&k).expect("path");
    assert_eq!(
        path,
        store.root().join(&k[..2]).join(&k[2..]),
        "sharded by the first two hex digits"
    );
    assert_eq!(fs::read(path).expect("read file"), bytes);
    assert_eq!(
        fs::read_dir(store.root().join("tmp")).expect("ls").count(),
        0
    );
}

#[test]
fn put_is_idempotent() {
    let (_dir, store) = store();
    let k = key(b"same");
    store.put(&k, b"same").expect("put");
    store.put(&k, b"same").expect("put again");
    assert_eq!(store.list().expect("list"), vec![k]);
}

#[test]
fn empty_blob() {
    let (_dir, store) = store();
    let k = key(b"");
    store.put(&k, b"").expect("put");
    assert_eq!(store.read(&k).expect("read"), b"");
}

#[test]
fn put_rejects_bytes_that_do_not_match_the_key() {
    let (_dir, store) = store();
    let k = key(b"one");
    assert!(matches!(
        store.put(&k, b"two"),
        Err(BlobError::DigestMismatch(m)) if m == k
    ));
    assert!(!store.exists(&k));
}

#[test]
fn invalid_keys_are_rejected() {
    let (_dir, store) = store();
    let good = key(b"x");
    let bad = [
        String::new(),
        "abc".to_owned(),
        good.to_uppercase(),
        format!("{good}0"),
        good[..63].to_owned(),
        format!("../{}", &good[3..]),
        format!("{}/{}", &good[..2], &good[3..]),
        format!("{}g", &good[..63]),
    ];
    for k in &bad {
        assert!(
            matches!(store.path(k), Err(BlobError::InvalidKey(_))),
            "{k}"
        );
        assert!(matches!(store.put(k, b"x"), Err(BlobError::InvalidKey(_))));
        assert!(matches!(store.read(k), Err(BlobError::InvalidKey(_))));
        assert!(matches!(store.remove(k), Err(BlobError::InvalidKey(_))));
        assert!(!store.exists(k));
    }
}

#[test]
fn missing_blob_is_not_found() {
    let (_dir, store) = store();
    let k = key(b"absent");
    assert!(matches!(store.read(&k), Err(BlobError::NotFound(m)) if m == k));
}

#[test]
fn remove_is_idempotent() {
    let (_dir, store) = store();
    let k = key(b"gone");
    store.put(&k, b"gone").expect("put");
    store.remove(&k).expect("remove");
    assert!(!store.exists(&k));
    store.remove(&k).expect("remove again");
}

#[test]
fn list_ignores_stray_files() {
    let (_dir, store) = store();
    let a = key(b"a");
    let b = key(b"b");
    store.put(&a, b"a").expect("put");
    store.put(&b, b"b").expect("put");
    let root = store.root();
    fs::write(root.join("README"), b"x").expect("write");
    fs::create_dir_all(root.join("zz")).expect("mkdir");
    fs::write(root.join("zz").join(&a[2..]), b"x").expect("write");
    fs::write(root.join(&a[..2]).join("short"), b"x").expect("write");
    fs::write(root.join("tmp").join(&b), b"x").expect("write");
    let mut expected = vec![a, b];
    expected.sort();
    assert_eq!(store.list().expect("list"), expected);
}

#[test]
fn sweep_removes_unreferenced_blobs() {
    let (_dir, store) = store();
    let keys: Vec<String> = (0..5u8)
        .map(|i| {
            let k = key(&[i]);
            store.put(&k, &[i]).expect("put");
            k
        })
        .collect();
    let keep: HashSet<String> = keys[..2].iter().cloned().collect();
    assert_eq!(store.sweep(&keep).expect("sweep"), 3);
    let mut left = store.list().expect("list");
    left.sort();
    let mut want: Vec<String> = keep.into_iter().collect();
    want.sort();
    assert_eq!(left, want);
    assert_eq!(store.sweep(&HashSet::new()).expect("sweep"), 2);
    assert!(store.list().expect("list").is_empty());
}

#[test]
fn error_messages() {
    assert_eq!(
        BlobError::NotFound("ab".into()).to_string(),
        "blob ab not found"
    );
    let e = BlobError::Io {
        op: "read",
        path: PathBuf::from("/x"),
        source: io::Error::other("boom"),
    };
    assert_eq!(e.to_string(), "blob store cannot read /x: boom");
}
