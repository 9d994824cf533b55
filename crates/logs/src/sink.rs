//! Where an environment's log lines go: the seam between [`crate::capture`] (and the
//! engine's platform lines) and the store, so that the engine's tests can record lines
//! instead of storing them.

/// Takes log lines for streams of groups.
pub trait LogSink: Send + Sync + 'static {
    /// Appends lines (epoch milliseconds, text) to a stream of a group. Must not block on
    /// I/O: it is called on the invoke path and by the capture's reader tasks.
    fn append(&self, group: &str, stream: &str, lines: &[(i64, String)]);

    /// True while the sink has taken more than it has written out: captures stop reading
    /// output until it is false again, so the function's writes block on its pipe rather
    /// than the sink's queue growing.
    fn backlogged(&self) -> bool {
        false
    }
}

impl LogSink for crate::LogStore {
    fn append(&self, group: &str, stream: &str, lines: &[(i64, String)]) {
        crate::LogStore::append(self, group, stream, lines);
    }

    fn backlogged(&self) -> bool {
        crate::LogStore::backlogged(self)
    }
}
