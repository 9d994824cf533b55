//! Code and layer packages: streaming zip validation and the content-addressed blob store
