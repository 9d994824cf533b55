//! The buffer's bounds: lines and their splitting, the per-window limit and its truncation
//! line, spilling with the tail kept, and what is held whatever is fed.
#![allow(clippy::unwrap_used)]

use super::*;

fn texts(lines: &[(i64, String)]) -> Vec<String> {
    lines.iter().map(|(_, l)| l.clone()).collect()
}

fn unlimited() -> Buffer {
    Buffer::new(u64::MAX, Vec::new())
}

/// Feeds `data` at time 0, where nothing should spill.
fn feed(b: &mut Buffer, which: usize, data: &[u8]) {
    b.feed(which, data, 0, &mut |l| panic!("spilled {} lines", l.len()));
}

/// Feeds `data` at time 0, collecting what spills into `out`.
fn feed_into(b: &mut Buffer, which: usize, data: &[u8], out: &mut Vec<(i64, String)>) {
    b.feed(which, data, 0, &mut |l| out.extend(l));
}

#[test]
fn lines_are_split_joined_and_trimmed() {
    let mut b = Buffer::new(u64::MAX, vec![(1, "INIT_START".into())]);
    let none = &mut |l: Vec<(i64, String)>| panic!("spilled {l:?}");
    b.feed(0, b"one\r\ntw", 5, none);
    b.feed(1, b"err\n", 5, none);
    b.feed(0, b"o\n\nthree", 6, none);
    assert_eq!(texts(b.lines()), ["INIT_START", "one", "err", "two", ""]);
    b.end("r", false);
    assert_eq!(texts(b.lines()), ["INIT_START", "one", "err", "two", ""]);
    b.end("r", true);
    assert_eq!(texts(b.lines()).last().unwrap(), "three");
    assert!(b.lines().iter().skip(1).all(|(ts, _)| *ts >= 5));
}

#[test]
fn long_lines_are_split_at_256_kb() {
    let mut b = unlimited();
    let mut all = Vec::new();
    let long = vec![b'x'; MAX_LINE_BYTES * 2 + 10];
    for chunk in long.chunks(16 * 1024) {
        feed_into(&mut b, 0, chunk, &mut all);
    }
    feed_into(&mut b, 0, b"\n", &mut all);
    all.extend_from_slice(b.lines());
    let lens: Vec<usize> = all.iter().map(|(_, l)| l.len()).collect();
    assert_eq!(lens, [MAX_LINE_BYTES, MAX_LINE_BYTES, 10]);
    // One write longer than a line is split as well.
    let mut b = unlimited();
    feed(&mut b, 1, &vec![b'y'; MAX_LINE_BYTES + 1]);
    b.end("r", true);
    let lens: Vec<usize> = b.lines().iter().map(|(_, l)| l.len()).collect();
    assert_eq!(lens, [MAX_LINE_BYTES, 1]);
}

#[test]
fn a_character_across_the_cut_moves_to_the_next_line() {
    let mut b = unlimited();
    let mut text = vec![b'a'; MAX_LINE_BYTES - 1];
    text.extend_from_slice("é and more\n".as_bytes());
    feed(&mut b, 0, &text);
    let lines = texts(b.lines());
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].len(), MAX_LINE_BYTES - 1);
    assert_eq!(lines[1], "é and more");
}

#[test]
fn output_past_the_limit_is_counted_dropped_and_reported_once() {
    let mut b = Buffer::new(100, Vec::new());
    b.begin((0, "START".into()));
    let line = b"0123456789012345678\n"; // 20 bytes
    for _ in 0..50 {
        feed(&mut b, 0, line);
    }
    assert!(b.discarding());
    b.end("rid", false);
    let lines = texts(b.lines());
    assert_eq!(lines[0], "START");
    assert_eq!(&lines[1..6], vec!["0123456789012345678"; 5]);
    assert_eq!(lines.len(), 7, "{lines:?}");
    assert!(
        lines[6].contains(" rid Log truncated: 900 bytes of output printed this invocation")
            && lines[6].contains("first 100 bytes"),
        "{}",
        lines[6]
    );
    // A line cut by the limit ends where the limit is.
    let mut b = Buffer::new(25, Vec::new());
    feed(&mut b, 0, b"0123456789012345678\nabcdefghij");
    feed(&mut b, 1, b"more\n");
    let lines = texts(b.lines());
    assert_eq!(&lines[..2], ["0123456789012345678", "abcde"]);
    b.begin((0, "START".into()));
    let lines = texts(b.lines());
    assert!(
        lines[2].contains("Log truncated: 10 bytes of output printed outside an invocation"),
        "{lines:?}"
    );
    assert_eq!(lines[3], "START");
    assert!(
        !b.discarding(),
        "a new invocation has the whole limit again"
    );
}

#[test]
fn output_after_the_end_counts_against_the_ended_invocation() {
    let mut b = Buffer::new(10, Vec::new());
    b.begin((0, "START".into()));
    feed(&mut b, 0, b"12345\n");
    b.end("r1", false);
    b.clear();
    feed(&mut b, 0, b"678\nabcdef\n");
    assert!(b.discarding());
    b.begin((0, "START 2".into()));
    let lines = texts(b.lines());
    assert_eq!(lines[0], "678");
    assert!(lines[1].contains("Log truncated: 7 bytes"), "{lines:?}");
    assert_eq!(lines[2], "START 2");
}

#[test]
fn spilling_keeps_the_last_4_kb_in_order() {
    let mut b = unlimited();
    let mut out = Vec::new();
    let mut n = 0;
    while out.is_empty() {
        feed_into(&mut b, 0, format!("{n:0999}\n").as_bytes(), &mut out);
        n += 1;
    }
    let all: Vec<String> = texts(&out).into_iter().chain(texts(b.lines())).collect();
    let want: Vec<String> = (0..n).map(|i| format!("{i:0999}")).collect();
    assert_eq!(all, want);
    let kept_bytes: usize = b.lines().iter().map(|(_, l)| l.len() + 1).sum();
    assert!(
        (TAIL_BYTES..TAIL_BYTES + 1000).contains(&kept_bytes),
        "{kept_bytes}"
    );
    assert!(b.held_bytes() < 8 * 1024);
    // Thousands of empty lines: the tail is what fits in half the spill threshold.
    let mut b = unlimited();
    let mut out = Vec::new();
    feed_into(&mut b, 0, &vec![b'\n'; 100_000], &mut out);
    assert_eq!(out.len() + b.lines().len(), 100_000);
    assert!(b.held_bytes() <= SPILL_AT && b.lines().len() >= 1000);
    // One line longer than that is kept whole.
    let mut b = unlimited();
    let mut out = Vec::new();
    for _ in 0..3 {
        feed_into(
            &mut b,
            0,
            &[vec![b'L'; MAX_LINE_BYTES - 1], b"\n".to_vec()].concat(),
            &mut out,
        );
    }
    assert_eq!((out.len(), b.lines().len()), (2, 1));
}

#[test]
fn what_is_held_stays_bounded_whatever_is_fed() {
    // Empty lines, short lines, one endless line, and a mix, 8 MB each, fed as a pipe
    // delivers: held lines stay under SPILL_AT plus one longest line, unfinished ones
    // under a longest line each.
    let bound = SPILL_AT + MAX_LINE_BYTES + 2 * LINE_OVERHEAD + 2 * MAX_LINE_BYTES;
    let newlines = vec![b'\n'; 64 * 1024];
    let mut short = Vec::new();
    while short.len() < 64 * 1024 {
        short.extend_from_slice(b"a short line\n");
    }
    let endless = vec![b'x'; 64 * 1024];
    let mixed: Vec<u8> = (0..64 * 1024)
        .map(|i| if i % 7919 == 0 { b'\n' } else { b'm' })
        .collect();
    for chunk in [&newlines, &short, &endless, &mixed] {
        let mut b = unlimited();
        let (mut fed, mut out) = (0usize, 0usize);
        while fed < 8 << 20 {
            let mut spill = |l: Vec<(i64, String)>| {
                out += l.iter().map(|(_, l)| l.len() + 1).sum::<usize>();
            };
            b.feed(0, chunk, 0, &mut spill);
            b.feed(1, &chunk[..1000], 0, &mut spill);
            fed += chunk.len() + 1000;
            assert!(b.held_bytes() <= bound, "{} held", b.held_bytes());
        }
        b.end("r", true);
        out += b.lines().iter().map(|(_, l)| l.len() + 1).sum::<usize>();
        // Every byte is in a line; lines cut at 256 KiB gained a newline.
        assert!(
            out >= fed && out <= fed + fed / MAX_LINE_BYTES + 2,
            "{out} of {fed}"
        );
    }
}

#[test]
fn closing_outside_an_invocation_hands_everything_over() {
    let mut b = Buffer::new(4, Vec::new());
    b.begin((0, "START".into()));
    feed(&mut b, 0, b"ab");
    assert_eq!(b.closed(0), None, "the running invocation takes it");
    b.end("r", false);
    assert_eq!(texts(b.lines()), ["START", "ab"]);
    b.clear();
    feed(&mut b, 1, b"cdefgh");
    let all = texts(&b.closed(1).unwrap());
    assert_eq!(all[0], "cd");
    assert!(all[1].contains("Log truncated: 4 bytes"), "{all:?}");
    assert!(b.lines().is_empty());
}

#[test]
fn take_all_ends_the_capture() {
    let mut b = Buffer::new(u64::MAX, vec![(0, "INIT_START".into())]);
    feed(&mut b, 0, b"Traceback\nboom");
    assert_eq!(texts(&b.take_all()), ["INIT_START", "Traceback", "boom"]);
    feed(&mut b, 0, b"later\n");
    assert!(b.lines().is_empty() && b.closed(0).is_none());
}
