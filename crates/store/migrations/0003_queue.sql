-- The durable queue of asynchronous invocations, and the dead letters of events whose
-- every path failed. Both live in the metadata database so an enqueue commits in the same
-- single-writer transaction discipline as metadata (see src/queue.rs).
--
-- Times are epoch milliseconds (UTC). `seq` is the arrival order (the rowid), `id` the
-- event's request id (a uuid string), kept for every attempt and for redrive.

CREATE TABLE queue_events (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    function_name    TEXT NOT NULL,
    qualifier        TEXT NOT NULL,
    payload          BLOB NOT NULL,
    received_at_ms   INTEGER NOT NULL,
    -- function-error retries used (throttles and platform failures do not count)
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- back-off: not claimable before this time
    not_before_ms    INTEGER NOT NULL,
    -- the dispatcher running the event, and when its lease ends; both NULL when free
    lease_owner      TEXT,
    lease_expires_ms INTEGER,
    -- when the event may next be claimed: its not-before time, or while leased its lease
    -- expiry (an expired lease is free). Derived, so it can never disagree with the above.
    ready_at_ms      INTEGER GENERATED ALWAYS AS
                         (max(not_before_ms, coalesce(lease_expires_ms, 0))) VIRTUAL,
    CHECK ((lease_owner IS NULL) = (lease_expires_ms IS NULL))
);

-- Claims walk the functions (a loose scan of the first column) and, within each, take
-- the runnable events oldest-ready first: both are seeks on this one index.
CREATE INDEX queue_events_ready ON queue_events (function_name, ready_at_ms, seq);

-- failure is a stored record (src/records/failure.rs): condition, last error type and
-- message. The original event is kept whole for redrive.
CREATE TABLE dead_letters (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    function_name  TEXT NOT NULL,
    qualifier      TEXT NOT NULL,
    payload        BLOB NOT NULL,
    received_at_ms INTEGER NOT NULL,
    attempts       INTEGER NOT NULL,
    failed_at_ms   INTEGER NOT NULL,
    failure        TEXT NOT NULL
);

CREATE INDEX dead_letters_function ON dead_letters (function_name, seq);
