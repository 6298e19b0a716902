//! The scripted model: a deterministic stand-in for the OpenAI Responses API,
//! and the `CODEX_HOME` that points codex at it.

pub mod codex_home;
mod http;
pub mod provider;
mod responses;
pub mod script;
pub mod server;

pub use script::Script;
pub use server::{ScriptedModel, Transcript};
