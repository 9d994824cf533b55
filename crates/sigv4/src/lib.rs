//! AWS Signature Version 4 verification of incoming requests, exactly as received
