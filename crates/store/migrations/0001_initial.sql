-- Functions: one row per function; versions hold the configuration snapshots.
CREATE TABLE functions (
    name                 TEXT PRIMARY KEY NOT NULL,
    next_version         INTEGER NOT NULL,
    reserved_concurrency INTEGER,
    tags                 TEXT NOT NULL DEFAULT '{}',
    created_at           TEXT NOT NULL
) WITHOUT ROWID;

-- version 0 is $LATEST; record is the JSON FunctionVersion.
CREATE TABLE function_versions (
    function_name TEXT NOT NULL,
    version       INTEGER NOT NULL,
    code_sha256   TEXT NOT NULL,
    code_size     INTEGER NOT NULL,
    record        TEXT NOT NULL,
    PRIMARY KEY (function_name, version)
) WITHOUT ROWID;

CREATE TABLE aliases (
    function_name TEXT NOT NULL,
    name          TEXT NOT NULL,
    record        TEXT NOT NULL,
    PRIMARY KEY (function_name, name)
) WITHOUT ROWID;

-- next_version survives deletion of every version: layer numbers are never reused.
CREATE TABLE layers (
    name         TEXT PRIMARY KEY NOT NULL,
    next_version INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE layer_versions (
    layer_name  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    code_sha256 TEXT NOT NULL,
    code_size   INTEGER NOT NULL,
    record      TEXT NOT NULL,
    PRIMARY KEY (layer_name, version)
) WITHOUT ROWID;

-- qualifier is '$LATEST', a version number or an alias name.
CREATE TABLE event_invoke_configs (
    function_name TEXT NOT NULL,
    qualifier     TEXT NOT NULL,
    record        TEXT NOT NULL,
    PRIMARY KEY (function_name, qualifier)
) WITHOUT ROWID;
