//! The gate built on a remote builder for real: Debian's sshd on loopback
//! with a key the test makes, and Nix's `ssh-ng://` build hook sending each
//! derivation with its closure to a second store (a store root of its own,
//! `remote-store=`), where it builds in that store's sandbox. Nothing may
//! depend on a path of the host's store: what the stand-in nixpkgs takes
//! from the host outside the store (bash, coreutils, the venv's
//! interpreter) the builder's own Nix config makes visible, as a real
//! builder's nix.conf would (with real nixpkgs, stdenv is in the closure and
//! no such path is needed).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::nix::nix_available;
use crate::nix_builds::{Gate, consumer_with_flake};
use crate::util::{as_root, skipped};

/// An sshd on loopback that lets in one key, killed when dropped.
struct Sshd {
    child: Child,
    port: u16,
    key: PathBuf,
}

impl Sshd {
    fn start(dir: &Path) -> Sshd {
        let keygen = |name: &str| {
            let status = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(dir.join(name))
                .status()
                .unwrap();
            assert!(status.success(), "ssh-keygen {name}");
        };
        keygen("host_key");
        keygen("client_key");
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        // Privilege separation wants its dir; Debian makes it at boot.
        std::fs::create_dir_all("/run/sshd").unwrap();
        // A port the kernel hands out, free again for sshd to take, unless
        // another process took it in between: then another.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let config = dir.join("sshd_config");
            std::fs::write(
                &config,
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_key\nAuthorizedKeysFile {dir}/authorized_keys\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nPidFile {dir}/sshd.pid\n",
                    dir = dir.display()
                ),
            )
            .unwrap();
            let child = Command::new("/usr/sbin/sshd")
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stderr(std::fs::File::create(dir.join("sshd.log")).unwrap())
                .spawn()
                .unwrap();
            let mut sshd = Sshd {
                child,
                port,
                key: dir.join("client_key"),
            };
            if sshd.answers() {
                return sshd;
            }
            let log = std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default();
            assert!(
                log.contains("Address already in use"),
                "sshd did not start:\n{log}"
            );
        }
        panic!("sshd found no free port in five tries");
    }

    /// Polls until a login succeeds (true) or sshd exits (false).
    fn answers(&mut self) -> bool {
        loop {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            let out = Command::new("ssh")
                .args(self.options())
                .args(["root@127.0.0.1", "true"])
                .stdin(Stdio::null())
                .output()
                .unwrap();
            if out.status.success() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// ssh's options for this sshd (`NIX_SSHOPTS` carries them to Nix).
    fn options(&self) -> Vec<String> {
        [
            "-p",
            &self.port.to_string(),
            "-i",
            &self.key.display().to_string(),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "BatchMode=yes",
        ]
        .map(String::from)
        .into()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A repository's scenario check (`lib.mkGate`, the first consumer made a
/// project) built with `--max-jobs 0`: it and every derivation of its
/// closure not yet built go to the ssh-ng builder and land in its own
/// store root, and the check passes there.
#[test]
fn a_gate_check_builds_on_a_remote_builder_over_ssh_ng() {
    if !nix_available() || !as_root("sshd and a second Nix store") {
        return;
    }
    if !Path::new("/usr/sbin/sshd").exists() {
        assert!(
            std::env::var_os("CODEX_HARVEST_REQUIRE_SSHD").is_none(),
            "CODEX_HARVEST_REQUIRE_SSHD is set but /usr/sbin/sshd is missing (Debian's openssh-server)"
        );
        skipped("sshd is not installed: the remote build is skipped");
        return;
    }
    let p = consumer_with_flake();
    let mut gate = Gate::of_consumer(&p);
    if !gate.sandbox_works() {
        return;
    }
    let dir = p.path("tmp/remote");
    std::fs::create_dir_all(&dir).unwrap();
    let sshd = Sshd::start(&dir);
    let program = dir.join("remote-program");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\nexport NIX_CONFIG='extra-sandbox-paths = {}\nsubstituters ='\nexec nix-daemon \"$@\"\n",
            gate.sandbox_paths
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &program,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let store = dir.join("store");
    let builder = format!(
        "ssh-ng://root@127.0.0.1?ssh-key={}&remote-store={}&remote-program={} {}-linux",
        sshd.key.display(),
        store.display(),
        program.display(),
        std::env::consts::ARCH
    );
    gate.env
        .push(("NIX_SSHOPTS".into(), sshd.options().join(" ")));
    let (log, ok, _) = gate.build(
        "scenario-thread_basic",
        &["--max-jobs", "0", "--builders", &builder],
    );
    assert!(ok, "{log}");
    assert!(
        log.contains("-codex-harvest-scenario-thread_basic.drv' on 'ssh-ng://root@127.0.0.1"),
        "{log}"
    );
    assert!(
        log.contains("regenerate: wrote") && log.contains("of thread_basic under"),
        "{log}"
    );
    let built: Vec<String> = std::fs::read_dir(store.join("nix/store"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("-codex-harvest-scenario-thread_basic"))
        .collect();
    assert_eq!(
        built.len(),
        1,
        "the check's output is in the builder's store"
    );
}
