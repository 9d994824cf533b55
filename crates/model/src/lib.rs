//! Lambda domain types, validation rules, ARNs and wire shapes; no I/O
