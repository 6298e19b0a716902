//! Integration tests: the real `codex-harvest` binary, the real Python SDK and
//! the real codex binary from the pinned packages, in temp copies of the
//! project with a cleaned environment.

mod util;

mod adopting;
mod audit;
mod bundle;
mod client_answers;
mod end_to_end;
mod failures;
mod integrity;
mod layers;
mod matrix;
mod nix;
mod nix_builds;
mod nix_remote;
mod ownership;
mod pin;
mod python_sources;
mod refusals;
mod replay;
mod replay_verdicts;
mod scenario_runner;
mod stops;
mod toolchain;
