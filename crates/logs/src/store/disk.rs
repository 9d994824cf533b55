//! Reading stream files: what the store learns of a file when it opens (size, first and
//! last event) without reading the whole of it, and the events themselves when a query
//! needs a stream that is not in memory.
//!
//! A file is one JSON event per line. Events are numbered by line, so a line that does not
//! parse (a torn write after a crash) still takes its number; at open, a file not ending in
//! a newline gets one, so later lines start on their own line.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
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
    /// Complete lines after the first `prefix_bytes` bytes.
    pub lines_after_prefix: i64,
}

/// Reads the file's events (complete lines only), numbering them so that the first line
/// after the first `prefix_bytes` bytes is 0 and the lines before count down from -1.
/// Events whose number is `until` or more are skipped; so are events before `cutoff`.
pub(crate) fn read(
    path: &Path,
    prefix_bytes: u64,
    until: i64,
    cutoff: Option<i64>,
) -> std::io::Result<FileEvents> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FileEvents {
                events: Vec::new(),
                lines_after_prefix: 0,
            })
        }
        Err(e) => return Err(e),
    };
    let mut reader = BufReader::new(f);
    let mut line = Vec::new();
    let mut offset = 0u64;
    // Numbered from 0 over the whole file first, shifted once the prefix's length is known.
    let mut numbered: Vec<(i64, Event)> = Vec::new();
    let mut prefix_lines = 0i64;
    let mut lines = 0i64;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        let in_prefix = offset < prefix_bytes;
        offset += n as u64;
        if in_prefix {
            prefix_lines += 1;
        }
        let index = lines;
        lines += 1;
        if !in_prefix && index - prefix_lines >= until {
            break;
        }
        if let Ok(e) = serde_json::from_slice::<Event>(&line) {
            if cutoff.is_none_or(|c| e.timestamp >= c) {
                numbered.push((index, e));
            }
        }
    }
    Ok(FileEvents {
        events: numbered
            .into_iter()
            .map(|(index, event)| Held {
                seq: index - prefix_lines,
                event,
            })
            .collect(),
        lines_after_prefix: lines - prefix_lines,
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
        let r = read(&p, meta.bytes, i64::MAX, None).unwrap();
        let got: Vec<_> = r
            .events
            .iter()
            .map(|h| (h.seq, h.event.message.as_str()))
            .collect();
        assert_eq!(got, [(-3, "a"), (-2, "b"), (0, "c")]);
        assert_eq!(r.lines_after_prefix, 1);
        let r = read(&p, meta.bytes, 0, Some(6)).unwrap();
        assert_eq!(r.events.len(), 1);
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
