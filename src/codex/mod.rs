//! The codex side: what is codex's and its SDKs', and nothing of fixture
//! trees or scenarios. The pins and the toolchain they resolve to, the
//! scripted model codex talks to, the app-server wire (its tap, canonical
//! form and player) and `codex exec` (its arguments and tap). It imports
//! only `base`.

pub mod exec;
pub(crate) mod message_schemas;
pub(crate) mod model;
pub(crate) mod pins;
pub(crate) mod protocol;
pub(crate) mod runs;
pub(crate) mod shim;
pub(crate) mod sub_agent_order;
pub(crate) mod toolchain;
pub mod wire;
