//! Control-plane rules: function, version, alias and layer lifecycles over the store and blobs
