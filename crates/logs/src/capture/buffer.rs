//! What a capture holds between hand-offs to the sink, and the per-invocation byte limit.
//!
//! Bytes from the two pipes are split into lines (at most [`MAX_LINE_BYTES`] each, cut at
//! a character boundary when longer). Lines wait here until the engine ends the invocation
//! or, as soon as more than [`SPILL_AT`] bytes are held, are handed to the caller's spill
//! (which moves them to the sink), all but the last [`TAIL_BYTES`], so that the
//! invocation's log tail can still be read at its end. So what is held is bounded: the
//! lines (at most `SPILL_AT` plus one longest line) and two unfinished lines.
//!
//! Every byte printed counts against the limit of the current window: a window opens when
//! the capture starts (init) and at each [`Buffer::begin`] (START); output after the end of
//! an invocation still counts against that invocation's window until the next begins.
//! Bytes past the limit are counted and discarded; the count is written as one truncation
//! line at the end of the invocation (or, for output outside an invocation, before the
//! next START or when the environment's output closes).

use crate::platform::{self, TAIL_BYTES};

/// Longest line kept; longer ones are split (CloudWatch's event size).
pub const MAX_LINE_BYTES: usize = 256 * 1024;
/// Bytes of lines held past which they are moved to the sink before the invocation ends.
pub const SPILL_AT: usize = 512 * 1024;
/// What a held line costs besides its text: its slot in the list and, about, the heap's
/// header and rounding of its text.
const LINE_OVERHEAD: usize = std::mem::size_of::<(i64, String)>() + 32;

/// Lines of one environment not yet handed to the sink.
pub(crate) struct Buffer {
    partial: [Vec<u8>; 2],
    /// Pipes at end-of-file.
    eof: [bool; 2],
    lines: Vec<(i64, String)>,
    /// What `lines` cost: their text plus [`LINE_OVERHEAD`] each.
    held: usize,
    /// Bytes of output kept per window.
    limit: u64,
    /// Bytes of output kept in the current window.
    kept: u64,
    /// Bytes discarded and not reported yet.
    dropped: u64,
    /// An invocation is running (between `begin` and `end`).
    open: bool,
    /// Taken for good: later output is discarded.
    done: bool,
}

impl Buffer {
    /// A buffer keeping `limit` bytes of output per window, starting with `opening`.
    pub(crate) fn new(limit: u64, opening: Vec<(i64, String)>) -> Self {
        let mut b = Self {
            partial: [Vec::new(), Vec::new()],
            eof: [false; 2],
            lines: Vec::new(),
            held: 0,
            limit,
            kept: 0,
            dropped: 0,
            open: false,
            done: false,
        };
        for line in opening {
            b.push(line);
        }
        b
    }

    /// Bytes held: lines and unfinished lines.
    pub(crate) fn held_bytes(&self) -> usize {
        self.held + self.partial[0].capacity() + self.partial[1].capacity()
    }

    pub(crate) fn lines(&self) -> &[(i64, String)] {
        &self.lines
    }

    /// Whether enough is held that it should move to the sink now.
    fn over(&self) -> bool {
        self.held > SPILL_AT
    }

    /// Whether output of this window is being discarded.
    pub(crate) fn discarding(&self) -> bool {
        self.done || self.kept >= self.limit
    }

    /// Takes bytes read from pipe `which` (0 stdout, 1 stderr) at `now` (epoch ms); whenever
    /// more than [`SPILL_AT`] is held, hands all but the tail to `spill`, in order.
    pub(crate) fn feed(
        &mut self,
        which: usize,
        data: &[u8],
        now: i64,
        spill: &mut impl FnMut(Vec<(i64, String)>),
    ) {
        if self.done {
            return;
        }
        let room = self.limit.saturating_sub(self.kept);
        let keep = usize::try_from(room).map_or(data.len(), |r| r.min(data.len()));
        if keep > 0 {
            self.kept += keep as u64;
            self.split(which, &data[..keep], now, spill);
        }
        if keep < data.len() {
            // The lines cut by the limit end here.
            self.flush_partial(0, now);
            self.flush_partial(1, now);
            self.spill_if_over(spill);
            self.dropped += (data.len() - keep) as u64;
        }
    }

    fn split(
        &mut self,
        which: usize,
        mut data: &[u8],
        now: i64,
        spill: &mut impl FnMut(Vec<(i64, String)>),
    ) {
        while !data.is_empty() {
            let room = MAX_LINE_BYTES - self.partial[which].len();
            let window = &data[..data.len().min(room)];
            match window.iter().position(|b| *b == b'\n') {
                Some(nl) if self.partial[which].is_empty() => {
                    self.push_bytes(&window[..nl], now);
                    data = &data[nl + 1..];
                }
                Some(nl) => {
                    let mut line = std::mem::take(&mut self.partial[which]);
                    line.extend_from_slice(&window[..nl]);
                    self.push_bytes(&line, now);
                    // Keep the allocation for the next unfinished line.
                    line.clear();
                    self.partial[which] = line;
                    data = &data[nl + 1..];
                }
                None => {
                    self.partial[which].extend_from_slice(window);
                    data = &data[window.len()..];
                    if self.partial[which].len() >= MAX_LINE_BYTES {
                        let cut = char_boundary(&self.partial[which]);
                        let rest = self.partial[which].split_off(cut);
                        let line = std::mem::replace(&mut self.partial[which], rest);
                        self.push_bytes(&line, now);
                    }
                }
            }
            self.spill_if_over(spill);
        }
    }

    fn spill_if_over(&mut self, spill: &mut impl FnMut(Vec<(i64, String)>)) {
        if self.over() {
            spill(self.spill());
        }
    }

    fn push_bytes(&mut self, bytes: &[u8], now: i64) {
        let text = String::from_utf8_lossy(bytes);
        self.push((now, text.trim_end_matches('\r').to_owned()));
    }

    /// Adds a line (a platform line, or one of the output).
    pub(crate) fn push(&mut self, line: (i64, String)) {
        self.held += line.1.len() + LINE_OVERHEAD;
        self.lines.push(line);
    }

    fn flush_partial(&mut self, which: usize, now: i64) {
        if !self.partial[which].is_empty() {
            let line = std::mem::take(&mut self.partial[which]);
            self.push_bytes(&line, now);
        }
    }

    /// Writes the truncation line if output was dropped since the last one.
    fn report_dropped(&mut self, request_id: Option<&str>) {
        if self.dropped > 0 {
            let text = platform::truncated(
                &platform::now_iso(),
                request_id,
                std::mem::take(&mut self.dropped),
                self.limit,
            );
            self.push((chrono::Utc::now().timestamp_millis(), text));
        }
    }

    /// Takes the lines to move to the sink now: all but the shortest run of last lines
    /// holding [`TAIL_BYTES`] of text, within half of [`SPILL_AT`] (so that the next spill
    /// is that far away, whatever the lines) but at least the last line.
    fn spill(&mut self) -> Vec<(i64, String)> {
        let mut from = self.lines.len();
        let (mut text, mut cost) = (0, 0);
        while from > 0 && text < TAIL_BYTES {
            let line = self.lines[from - 1].1.len();
            if cost > 0 && cost + line + LINE_OVERHEAD > SPILL_AT / 2 {
                break;
            }
            from -= 1;
            text += line + 1;
            cost += line + LINE_OVERHEAD;
        }
        let rest = self.lines.split_off(from);
        self.held = cost;
        std::mem::replace(&mut self.lines, rest)
    }

    /// START: reports what was dropped outside an invocation, opens a window with the full
    /// limit and adds the `start` line.
    pub(crate) fn begin(&mut self, start: (i64, String)) {
        self.report_dropped(None);
        self.kept = 0;
        self.open = true;
        self.push(start);
    }

    /// The end of invocation `request_id` (its output read): unfinished lines of closed
    /// pipes are taken, and what was dropped is reported. With `last` (the environment
    /// goes), unfinished lines of open pipes are taken too and later output is discarded.
    pub(crate) fn end(&mut self, request_id: &str, last: bool) {
        for which in 0..2 {
            if (last || self.eof[which]) && !self.partial[which].is_empty() {
                self.flush_partial(which, chrono::Utc::now().timestamp_millis());
            }
        }
        self.report_dropped(Some(request_id));
        self.open = false;
        self.done |= last;
    }

    /// Forgets the lines once they are in the sink (keeping the allocation for the next
    /// invocation's lines).
    pub(crate) fn clear(&mut self) {
        self.lines.clear();
        self.held = 0;
    }

    /// Pipe `which` reached end-of-file. Outside an invocation nobody else will take what
    /// is held, so everything is returned, for the sink.
    pub(crate) fn closed(&mut self, which: usize) -> Option<Vec<(i64, String)>> {
        self.eof[which] = true;
        if self.open || self.done {
            return None;
        }
        self.flush_partial(which, chrono::Utc::now().timestamp_millis());
        self.report_dropped(None);
        self.held = 0;
        Some(std::mem::take(&mut self.lines)).filter(|l| !l.is_empty())
    }

    /// Everything held, unfinished lines included; later output is discarded.
    pub(crate) fn take_all(&mut self) -> Vec<(i64, String)> {
        let now = chrono::Utc::now().timestamp_millis();
        self.flush_partial(0, now);
        self.flush_partial(1, now);
        self.report_dropped(None);
        self.done = true;
        self.held = 0;
        std::mem::take(&mut self.lines)
    }
}

/// Where to cut a full unfinished line: at its end, unless its last character is not
/// complete yet (UTF-8: its lead byte says how many bytes follow), then before it.
fn char_boundary(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=len.min(4) {
        let b = bytes[len - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte
        }
        let width = match b {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if width > back && back < len {
            len - back
        } else {
            len
        };
    }
    len
}

#[cfg(test)]
mod tests;
