//! The Lambda Runtime API (2018-06-01) served by the host inside each environment's network namespace
