//! A file the driver writes for a child to execute (a shim standing in for
//! codex) is never open for writing while the driver forks a child.
//!
//! A child forked by one thread inherits every descriptor another thread
//! has open at that moment, until it execs (`O_CLOEXEC` closes them only
//! then). A file open for writing anywhere cannot be executed: so if a shim
//! being written is inherited by a child that is slow to exec (a loaded
//! machine), the client that runs the shim next fails with ETXTBSY ("text
//! file busy"). Seen: the TypeScript SDK's spawn of its codex shim, in a
//! Nix build of one scenario whose three lanes started at once. As Go's
//! `syscall.ForkLock` does, spawns share a lock that writing such a file
//! takes alone; a spawn returns once its child has exec'd.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::RwLock;

static FORKS: RwLock<()> = RwLock::new(());

/// `cmd.spawn()`, never while an executable is being written.
pub fn spawn(cmd: &mut Command) -> io::Result<Child> {
    let _forking = FORKS.read().unwrap_or_else(|e| e.into_inner());
    cmd.spawn()
}

/// Writes `contents` to `path`, executable by its owner only, while no
/// child is being forked.
pub fn write_executable(path: &Path, contents: &[u8]) -> io::Result<()> {
    let _writing = FORKS.write().unwrap_or_else(|e| e.into_inner());
    std::fs::write(path, contents)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without the lock this fails within a few hundred shims here (the
    /// spawn of a shim just written returns ETXTBSY).
    #[test]
    fn a_shim_written_while_others_spawn_is_always_executable() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let spawning = AtomicBool::new(true);
        let failure = std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    while spawning.load(Ordering::Relaxed) {
                        spawn(&mut Command::new("true")).unwrap().wait().unwrap();
                    }
                });
            }
            let failure = (0..500).find_map(|n| {
                let shim = dir.path().join(format!("shim-{n}"));
                write_executable(&shim, b"#!/bin/sh\nexit 0\n").unwrap();
                match spawn(&mut Command::new(&shim)).and_then(|mut c| c.wait()) {
                    Ok(status) if status.success() => None,
                    other => Some(format!("shim {n}: {other:?}")),
                }
            });
            spawning.store(false, Ordering::Relaxed);
            failure
        });
        assert_eq!(failure, None);
    }
}
