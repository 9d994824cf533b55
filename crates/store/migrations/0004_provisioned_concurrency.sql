-- Provisioned concurrency: one request per qualifier (a published version number or an
-- alias name); record is StoredProvisionedConfig (src/records/provisioned.rs). The live
-- state (environments allocated, status) is the engine's and is not stored: after a
-- restart every row here is provisioned again.
CREATE TABLE provisioned_concurrency (
    function_name TEXT NOT NULL,
    qualifier     TEXT NOT NULL,
    record        TEXT NOT NULL,
    PRIMARY KEY (function_name, qualifier)
) WITHOUT ROWID;
