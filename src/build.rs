//! Build script: records the commit and the target the binary is built
//! for, for `bluegreen --version`. `BLUEGREEN_COMMIT` overrides the commit
//! (a build from an archive without `.git`).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=BLUEGREEN_COMMIT");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    let commit = std::env::var("BLUEGREEN_COMMIT").ok().filter(|c| !c.is_empty()).or_else(git_commit);
    let commit = commit.unwrap_or_else(|| "unknown".into());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=BLUEGREEN_COMMIT={commit}");
    println!("cargo:rustc-env=BLUEGREEN_TARGET={target}");
}

fn git_commit() -> Option<String> {
    let out = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_string();
    if !out.status.success() || commit.is_empty() {
        return None;
    }
    Some(commit)
}
