//! `promptsales rotate-key`: re-encrypting the CRM's personal data under a
//! new master key belongs to the CRM, which owns that data and its key
//! handling; this command runs its owner's command, `mcp-crm rotate-key`
//! (the binary beside `promptsales`, or in `PROMPTSALES_SERVERS_DIR`), with
//! this process's environment and flags, and prints its report.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use promptsales_shared::config::CommonArgs;

use crate::client::config::{default_bin_dir, forwarded_env};

/// The CRM binary and its subcommand.
pub const CRM_BINARY: &str = "mcp-crm";
pub const SUBCOMMAND: &str = "rotate-key";

/// What `mcp-crm rotate-key` printed and how it ended.
#[derive(Debug)]
pub struct Rotation {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The binary to run: `mcp-crm` in the servers directory.
pub fn crm_binary(get: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    default_bin_dir(get).join(CRM_BINARY)
}

/// Runs `<bin> rotate-key ARGS…` with the inherited environment plus the
/// configuration given to `promptsales` by flag (so `--database-url` reaches
/// the CRM too); stdin stays the terminal's, for any question it asks.
pub async fn run(bin: &Path, common: &CommonArgs, args: &[String]) -> anyhow::Result<Rotation> {
    if !bin.exists() {
        anyhow::bail!(
            "{} does not exist: build it (`cargo build --bins`) or set PROMPTSALES_SERVERS_DIR to \
             the directory holding the servers; rotating the CRM key is mcp-crm's own command \
             (`{CRM_BINARY} {SUBCOMMAND}`)",
            bin.display()
        );
    }
    let out = tokio::process::Command::new(bin)
        .arg(SUBCOMMAND)
        .args(args)
        .envs(forwarded_env(common))
        .stdin(Stdio::inherit())
        .output()
        .await
        .map_err(|e| anyhow::anyhow!("cannot start {}: {}", bin.display(), e.kind()))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // An mcp-crm built before it had the command says so through clap.
    if !out.status.success()
        && stderr.contains("unexpected argument")
        && stderr.contains(SUBCOMMAND)
    {
        anyhow::bail!(
            "{} has no `{SUBCOMMAND}` command: it predates key rotation; rebuild the servers \
             (`cargo build --bins`) and run again",
            bin.display()
        );
    }
    Ok(Rotation {
        code: out.status.code().unwrap_or(1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A stand-in `mcp-crm` that prints its arguments and one variable.
    fn fake_crm(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(CRM_BINARY);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[tokio::test]
    async fn delegates_to_mcp_crm_rotate_key_with_flags_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_crm(
            dir.path(),
            "echo \"args: $*\"; echo \"db: $DATABASE_URL\"; echo \"3 leads re-encrypted\"",
        );
        let common = CommonArgs {
            database_url: Some("sqlite://x.db".into()),
            ..CommonArgs::default()
        };
        let r = run(&bin, &common, &["--batch".into(), "500".into()])
            .await
            .unwrap();
        assert_eq!(r.code, 0);
        assert!(
            r.stdout.contains("args: rotate-key --batch 500"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("db: sqlite://x.db"), "{}", r.stdout);
        let get = |k: &str| (k == "PROMPTSALES_SERVERS_DIR").then(|| "/opt/ps".to_owned());
        assert_eq!(crm_binary(&get), PathBuf::from("/opt/ps/mcp-crm"));
    }

    #[tokio::test]
    async fn a_missing_or_older_mcp_crm_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = run(&dir.path().join(CRM_BINARY), &CommonArgs::default(), &[])
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("does not exist") && e.contains("PROMPTSALES_SERVERS_DIR"),
            "{e}"
        );
        let bin = fake_crm(
            dir.path(),
            "echo \"error: unexpected argument 'rotate-key' found\" >&2; exit 2",
        );
        let e = run(&bin, &CommonArgs::default(), &[])
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("has no `rotate-key` command"), "{e}");
        let bin = fake_crm(
            dir.path(),
            "echo 'key PROMPTSALES_ENCRYPTION_KEY_OLD missing' >&2; exit 2",
        );
        let r = run(&bin, &CommonArgs::default(), &[]).await.unwrap();
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("KEY_OLD"));
    }
}
