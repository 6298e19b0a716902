//! A run: everything it needs, resolved once ([`Session`]), and the secrets
//! it guards every output against ([`scanner`]). The jobs (`jobs.rs`) and
//! the lanes (`lanes/`) both read it; the jobs call the lanes, and the
//! lanes never call back.

use std::path::PathBuf;

use anyhow::Result;

use crate::base::project::Project;
use crate::codex::model::codex_home;
use crate::codex::pins::Pins;
use crate::codex::toolchain::Toolchain;
use crate::codex::toolchain::node::SdkPin;
use crate::engine::secrets::Scanner;
use crate::harvest::config::HarvestConfig;
use crate::harvest::lane::Lanes;
use crate::harvest::protocol_check::ProtocolCheck;

/// Everything a run needs, resolved once.
pub struct Session<'a> {
    pub project: &'a Project,
    pub config: &'a HarvestConfig,
    pub pins: &'a Pins,
    pub toolchain: &'a Toolchain,
    /// What each recorded app-server message is checked against: the
    /// schema the run's codex generates.
    pub protocol: &'a ProtocolCheck,
    pub progress: &'a (dyn Fn(&str) + Sync),
    /// The `codex-harvest` binary, which supervises each scenario.
    pub supervisor: PathBuf,
    /// Keep every scratch dir (redacted) instead of removing it.
    pub keep_scratch: bool,
    /// Run every scenario cold (a fresh interpreter each), not in a warm worker.
    pub cold: bool,
    /// The lanes to record.
    pub lanes: Lanes,
    /// Play the wire transcripts in this fixtures tree to the Python SDK
    /// instead of running codex (the proof that replay is faithful).
    pub replay: Option<PathBuf>,
    /// The TypeScript SDK as the lock pins it, recorded for the scenarios
    /// with a typescript lane whether or not this run includes the lane.
    pub typescript_pin: Option<SdkPin>,
    /// Where the schedule remembers how long each job took (the cache).
    pub durations: Option<PathBuf>,
}

/// Every secret the runs know of: the config's patterns, the scripted
/// model's key (if it shows up, codex leaked its credential) and the
/// caller's own key.
pub fn scanner(config: &HarvestConfig) -> Result<Scanner> {
    let mut literals = vec![(
        "the scripted model's API key".to_string(),
        codex_home::API_KEY.to_string(),
    )];
    literals.extend(crate::engine::secrets::caller_key());
    Scanner::new(&config.secrets, literals)
}
