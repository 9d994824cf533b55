//! Reading stream files: what the store learns of a file when it opens (size, first and
//! last event) without reading the whole of it, and the events themselves when a query
//! needs a stream that is not in memory, one line at a time.
//!
//! A file is one JSON event per line. Events are numbered by line, so a line that does not
//! parse (a torn write after a crash) still takes its number; at open, a file not ending in
//! a newline gets one, so later lines start on their own line.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::Path;

use serde::Deserialize;

use crate::store::stream::Held;
use crate::store::Event;

/// What opening the store learns of a stream file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileMeta {
    /// Its size in bytes (after any repair).
    pub bytes: u64,
    /// Timestamp of the first event.
    pub first_timestamp: Option<i64>,
    /// Timestamp and ingestion time of the last event.
    pub last: Option<(i64, i64)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Times {
    timestamp: i64,
    ingestion_time: i64,
}

/// How far from the end the last line is looked for first.
const TAIL_WINDOW: u64 = 64 * 1024;

/// Reads the first and last lines of the file and its size; ends it with a newline if a
/// torn write left it without one.
pub(crate) fn scan(path: &Path) -> std::io::Result<FileMeta> {
    let mut f = OpenOptions::new().read(true).append(true).open(path)?;
    let mut bytes = f.metadata()?.len();
    if bytes == 0 {
        return Ok(FileMeta::default());
    }
    let mut last_byte = [0u8; 1];
    f.seek(SeekFrom::End(-1))?;
    f.read_exact(&mut last_byte)?;
    if last_byte[0] != b'\n' {
        f.write_all(b"\n")?;
        bytes += 1;
    }
    f.seek(SeekFrom::Start(0))?;
    let mut first = Vec::new();
    BufReader::new(&mut f).read_until(b'\n', &mut first)?;
    let first_timestamp = serde_json::from_slice::<Times>(&first)
        .ok()
        .map(|t| t.timestamp);
    Ok(FileMeta {
        bytes,
        first_timestamp,
        last: last_line(&mut f, bytes)?,
    })
}

/// The last complete line's times, widening the window when the line is longer than it.
fn last_line(f: &mut File, size: u64) -> std::io::Result<Option<(i64, i64)>> {
    let mut window = TAIL_WINDOW.min(size);
    loop {
        f.seek(SeekFrom::Start(size - window))?;
        let mut buf = Vec::with_capacity(window as usize);
        f.take(window).read_to_end(&mut buf)?;
        let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
        match body.iter().rposition(|b| *b == b'\n') {
            Some(nl) => return Ok(parse_times(&body[nl + 1..])),
            None if window == size => return Ok(parse_times(body)),
            None => window = (window * 4).min(size),
        }
    }
}

fn parse_times(line: &[u8]) -> Option<(i64, i64)> {
    serde_json::from_slice::<Times>(line)
        .ok()
        .map(|t| (t.timestamp, t.ingestion_time))
}

/// The events of a file read from disk.
pub(crate) struct FileEvents {
    /// Every parsed event, numbered (see `Held::seq`).
    pub events: Vec<Held>,
    /// Complete lines after the prefix.
    pub lines_after_prefix: i64,
}

/// Opens a stream file for reading; `None` if it does not exist (yet, or any more).
fn open(path: &Path) -> std::io::Result<Option<BufReader<File>>> {
    match File::open(path) {
        Ok(f) => Ok(Some(BufReader::new(f))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Lines in the first `prefix_bytes` bytes of the file (written by earlier runs; they end
/// on a line boundary since opening the store repairs a torn last line).
pub(crate) fn prefix_lines(path: &Path, prefix_bytes: u64) -> std::io::Result<i64> {
    let Some(reader) = open(path)? else {
        return Ok(0);
    };
    let mut lines = 0i64;
    let mut reader = reader.take(prefix_bytes);
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(lines);
        }
        lines += buf.iter().filter(|b| **b == b'\n').count() as i64;
        let n = buf.len();
        reader.consume(n);
    }
}

/// Calls `f` with the file's events numbered from `from` up to (not including) `until`,
/// in order, skipping those before `cutoff`, until `f` breaks (then answers `Break`).
/// Complete lines only; the first line after the file's `prefix_lines` lines is numbered 0
/// and those before count down from -1. One line is held at a time. Answers how many
/// complete lines after the prefix it went past, with whether `f` broke.
pub(crate) fn for_each(
    path: &Path,
    prefix_lines: i64,
    from: i64,
    until: i64,
    cutoff: Option<i64>,
    mut f: impl FnMut(Held) -> ControlFlow<()>,
) -> std::io::Result<(ControlFlow<()>, i64)> {
    let Some(mut reader) = open(path)? else {
        return Ok((ControlFlow::Continue(()), 0));
    };
    let mut line = Vec::new();
    // The number of the next line.
    let mut next = -prefix_lines;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') || next >= until {
            return Ok((ControlFlow::Continue(()), next.max(0)));
        }
        let seq = next;
        next += 1;
        if seq < from {
            continue;
        }
        let Ok(event) = serde_json::from_slice::<Event>(&line) else {
            continue;
        };
        if cutoff.is_some_and(|c| event.timestamp < c) {
            continue;
        }
        if f(Held { seq, event }).is_break() {
            return Ok((ControlFlow::Break(()), next.max(0)));
        }
    }
}

/// Reads the file's events numbered below `until` and not before `cutoff` (see
/// [`for_each`]), to keep them in memory.
pub(crate) fn read(
    path: &Path,
    prefix_lines: i64,
    until: i64,
    cutoff: Option<i64>,
) -> std::io::Result<FileEvents> {
    let mut events = Vec::new();
    let (_, lines_after_prefix) = for_each(path, prefix_lines, i64::MIN, until, cutoff, |h| {
        events.push(h);
        ControlFlow::Continue(())
    })?;
    Ok(FileEvents {
        events,
        lines_after_prefix,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn line(ts: i64, msg: &str) -> String {
        let e = Event {
            timestamp: ts,
            message: msg.into(),
            ingestion_time: ts + 1,
        };
        format!("{}\n", serde_json::to_string(&e).unwrap())
    }

    #[test]
    fn scan_reads_ends_and_repairs_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        std::fs::write(&p, format!("{}{}{{\"torn", line(5, "a"), line(7, "b"))).unwrap();
        let meta = scan(&p).unwrap();
        assert_eq!(meta.first_timestamp, Some(5));
        assert_eq!(meta.last, None, "the torn line is the last line");
        assert_eq!(meta.bytes, std::fs::metadata(&p).unwrap().len());
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(line(9, "c").as_bytes())
            .unwrap();
        assert_eq!(scan(&p).unwrap().last, Some((9, 10)));
        let prefix = prefix_lines(&p, meta.bytes).unwrap();
        assert_eq!(prefix, 3);
        let r = read(&p, prefix, i64::MAX, None).unwrap();
        let got: Vec<_> = r
            .events
            .iter()
            .map(|h| (h.seq, h.event.message.as_str()))
            .collect();
        assert_eq!(got, [(-3, "a"), (-2, "b"), (0, "c")]);
        assert_eq!(r.lines_after_prefix, 1);
        let r = read(&p, prefix, 0, Some(6)).unwrap();
        assert_eq!(r.events.len(), 1);
        // From a number on, until `f` breaks.
        let mut seen = Vec::new();
        let (flow, _) = for_each(&p, prefix, -2, i64::MAX, None, |h| {
            seen.push(h.seq);
            ControlFlow::Break(())
        })
        .unwrap();
        assert_eq!((flow, seen), (ControlFlow::Break(()), vec![-2]));
    }

    #[test]
    fn scan_finds_a_last_line_longer_than_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let long = "x".repeat(TAIL_WINDOW as usize * 2);
        std::fs::write(&p, format!("{}{}", line(1, "a"), line(2, &long))).unwrap();
        assert_eq!(scan(&p).unwrap().last, Some((2, 3)));
    }
}
