//! The harvest layer, where the engine, the process runner and the codex
//! side meet: the catalogue (`config/harvest.toml`), the lanes that run a
//! scenario through a client of codex, the jobs of a run, the plan of the
//! tree it writes, replay, and the reports made from the fixtures.

pub(crate) mod audit;
pub(crate) mod builtin;
pub(crate) mod bundle;
pub(crate) mod cells;
pub(crate) mod config;
pub(crate) mod durations;
pub(crate) mod events;
pub(crate) mod exec_recipe;
pub(crate) mod init;
pub(crate) mod inputs;
pub(crate) mod jobs;
pub(crate) mod lane;
pub(crate) mod lanes;
pub(crate) mod layout;
pub(crate) mod ownership;
pub(crate) mod plan;
pub(crate) mod protocol_check;
pub(crate) mod provenance;
pub(crate) mod replay;
pub(crate) mod reports;
pub(crate) mod responses_api;
pub(crate) mod run;
pub(crate) mod slice;
