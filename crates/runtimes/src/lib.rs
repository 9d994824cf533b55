//! Bundled runtime bootstraps (Python, Node.js) and the registry mapping runtime identifiers to how they start
