//! Documents made from the fixtures and the pins: the checklist, the
//! compatibility of the matrix, the coverage of codex's protocol (and a
//! consumer's fixtures mapped to ours), the parity of the SDKs.

pub(crate) mod checklist;
pub(crate) mod codex_compat;
pub(crate) mod consumer_map;
pub(crate) mod coverage;
pub(crate) mod sdk_parity;
