//! HTTP front: Lambda REST API routes, SigV4 auth, error mapping
