//! Function logs: capture, START/END/REPORT lines, log groups and streams, retention, queries
