//! A revision's bundle, made from a directory the way CodeDeploy's agent
//! will read it: checked first ([`appspec`]), then zipped reproducibly
//! (paths relative to the directory and sorted, one fixed timestamp, Unix
//! modes kept, files only, so empty directories drop out), and named by its
//! content (SHA-256). The same directory gives the same bytes, run after
//! run. Symbolic links and other special files are refused; hidden files
//! go in unless left out, and files that look like secrets are named.

pub mod appspec;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::domain::clean;

/// How to make the bundle.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Leave out every file or directory whose name starts with a dot.
    pub ignore_hidden: bool,
}

/// A bundle ready to upload: the zip in an anonymous temporary file.
#[derive(Debug)]
pub struct Bundle {
    pub file: File,
    /// The zip's size in bytes.
    pub size: u64,
    /// The zip's SHA-256, 64 hex digits.
    pub sha256: String,
    /// The files in it, relative and `/`-separated, sorted.
    pub files: Vec<String>,
    /// Files in it whose names look like secrets.
    pub secrets: Vec<String>,
    /// Hook scripts without an executable bit (the agent makes them
    /// executable, but a script that runs locally should be too).
    pub not_executable: Vec<String>,
}

/// A problem with the directory, before anything left: one line with a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Problem(pub String);

/// A file to bundle: its relative path and where it is.
#[derive(Debug)]
struct Entry {
    name: String,
    path: PathBuf,
    mode: u32,
    len: u64,
}

impl Bundle {
    /// Checks `dir` and zips it.
    pub fn make(dir: &Path, options: &Options) -> Result<Self, Problem> {
        let meta = std::fs::metadata(dir).map_err(|e| {
            Problem(format!("cannot read {}: {} (hint: the directory that holds appspec.yml)", shown(dir), reason(&e)))
        })?;
        if !meta.is_dir() {
            return Err(Problem(format!(
                "{} is not a directory (hint: push the directory that holds appspec.yml, not a file in it)",
                shown(dir)
            )));
        }
        let mut entries = Vec::new();
        walk(dir, "", options, &mut entries)?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let names: BTreeSet<String> = entries.iter().map(|e| e.name.clone()).collect();
        if !names.contains("appspec.yml") {
            let hint = if names.contains("appspec.yaml") {
                "rename appspec.yaml to appspec.yml".to_string()
            } else {
                "CodeDeploy reads appspec.yml at the bundle's root; push the directory that holds it".to_string()
            };
            return Err(Problem(format!("{} has no appspec.yml (hint: {hint})", shown(dir))));
        }
        let text = std::fs::read(dir.join("appspec.yml"))
            .map_err(|e| Problem(format!("cannot read appspec.yml: {} (hint: check its permissions)", reason(&e))))?;
        let text = String::from_utf8(text)
            .map_err(|_| Problem("appspec.yml is not UTF-8 text (hint: save it as UTF-8)".into()))?;
        let appspec = appspec::check(&text, &names).map_err(Problem)?;
        let not_executable = appspec
            .hooks
            .iter()
            .flat_map(|(_, scripts)| scripts)
            .filter(|s| entries.iter().any(|e| &e.name == *s && e.mode & 0o111 == 0))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let secrets = entries.iter().filter(|e| looks_secret(&e.name)).map(|e| e.name.clone()).collect();
        let file = zip(&entries)?;
        let (file, size, sha256) = digest(file)?;
        Ok(Self { file, size, sha256, files: names.into_iter().collect(), secrets, not_executable })
    }

    /// The first 16 hex digits of the SHA-256: the object's name.
    pub fn short_sha(&self) -> &str {
        &self.sha256[..16]
    }
}

/// A path for a message.
fn shown(p: &Path) -> String {
    clean(&p.display().to_string(), 300)
}

fn reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => clean(&e.to_string(), 200),
    }
}

/// Every file under `dir/prefix`, refusing what a bundle cannot hold.
fn walk(root: &Path, prefix: &str, options: &Options, out: &mut Vec<Entry>) -> Result<(), Problem> {
    let here = root.join(prefix);
    let listing = std::fs::read_dir(&here)
        .map_err(|e| Problem(format!("cannot read {}: {} (hint: check its permissions)", shown(&here), reason(&e))))?;
    for item in listing {
        let item = item.map_err(|e| Problem(format!("cannot read {}: {}", shown(&here), reason(&e))))?;
        let Ok(name) = item.file_name().into_string() else {
            return Err(Problem(format!(
                "{} has a file name that is not UTF-8 (hint: rename it; zip entries are UTF-8)",
                shown(&here)
            )));
        };
        if options.ignore_hidden && name.starts_with('.') {
            continue;
        }
        let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        let path = item.path();
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| Problem(format!("cannot read {}: {}", shown(&path), reason(&e))))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            return Err(Problem(format!(
                "{} is a symbolic link (hint: a bundle holds files only; copy what it points at into the directory, or remove the link)",
                clean(&rel, 300)
            )));
        }
        if kind.is_dir() {
            walk(root, &rel, options, out)?;
        } else if kind.is_file() {
            out.push(Entry { name: rel, path, mode: meta.permissions().mode() & 0o7777, len: meta.len() });
        } else {
            return Err(Problem(format!(
                "{} is not a regular file (a socket, a pipe or a device) (hint: a bundle holds files only; remove it)",
                clean(&rel, 300)
            )));
        }
    }
    Ok(())
}

/// Whether a bundled file's name says it holds a secret: `.env` files,
/// keys (`*.pem`, `*.key`, `id_rsa` and the like), anything under `.aws/`
/// or `.ssh/`.
pub fn looks_secret(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    let dirs: Vec<&str> = name.split('/').collect();
    dirs[..dirs.len() - 1].iter().any(|d| *d == ".aws" || *d == ".ssh")
        || file == ".env"
        || file.starts_with(".env.")
        || Path::new(file).extension().is_some_and(|e| e.eq_ignore_ascii_case("pem") || e.eq_ignore_ascii_case("key"))
        || file.strip_prefix("id_").is_some_and(|rest| {
            !rest.is_empty()
                && (!rest.contains('.') || Path::new(rest).extension().is_some_and(|e| e.eq_ignore_ascii_case("pub")))
        })
}

/// Writes the zip: sorted entries, one timestamp (1980-01-01, zip's
/// first day), each file's Unix mode, deflate at the default level.
fn zip(entries: &[Entry]) -> Result<File, Problem> {
    let tmp = |e: std::io::Error| {
        Problem(format!(
            "cannot write the bundle to a temporary file: {} (hint: TMPDIR, or free some space)",
            reason(&e)
        ))
    };
    let file = tempfile::tempfile().map_err(tmp)?;
    let mut zip = ZipWriter::new(file);
    let zipping = |e: zip::result::ZipError| {
        Problem(format!("cannot write the bundle: {} (hint: TMPDIR, or free some space)", clean(&e.to_string(), 200)))
    };
    for entry in entries {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(entry.mode)
            .large_file(entry.len >= u64::from(u32::MAX));
        zip.start_file(entry.name.as_str(), options).map_err(zipping)?;
        let mut source = File::open(&entry.path)
            .map_err(|e| Problem(format!("cannot read {}: {}", clean(&entry.name, 300), reason(&e))))?;
        std::io::copy(&mut source, &mut zip)
            .map_err(|e| Problem(format!("cannot read {}: {}", clean(&entry.name, 300), reason(&e))))?;
    }
    let mut file = zip.finish().map_err(zipping)?;
    file.flush().map_err(tmp)?;
    Ok(file)
}

/// The file's size and SHA-256, and the file rewound.
fn digest(mut file: File) -> Result<(File, u64, String), Problem> {
    let io = |e: std::io::Error| Problem(format!("cannot read the bundle back: {}", reason(&e)));
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok((file, size, hex(&hasher.finalize())))
}

/// Bytes (a digest) as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut hex, b| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str, mode: u32) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn app() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            "appspec.yml",
            "version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n  ValidateService:\n    - location: scripts/check.sh\n",
            0o644,
        );
        write(d, "scripts/start.sh", "#!/bin/sh\n", 0o755);
        write(d, "scripts/check.sh", "#!/bin/sh\n", 0o644);
        write(d, "web/index.html", "application version: 2\n", 0o644);
        write(d, ".git/HEAD", "ref: refs/heads/main\n", 0o644);
        std::fs::create_dir_all(d.join("empty/deeper")).unwrap();
        dir
    }

    fn bytes(mut b: Bundle) -> Vec<u8> {
        let mut out = Vec::new();
        b.file.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn the_same_directory_gives_the_same_bytes_whatever_the_file_times() {
        let dir = app();
        let first = Bundle::make(dir.path(), &Options::default()).unwrap();
        let sha = first.sha256.clone();
        let one = bytes(first);
        // Touch a file: a new modification time, the same content.
        let page = dir.path().join("web/index.html");
        File::options()
            .append(true)
            .open(&page)
            .unwrap()
            .set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(2_000_000_000))
            .unwrap();
        let second = Bundle::make(dir.path(), &Options::default()).unwrap();
        assert_eq!(second.sha256, sha);
        assert_eq!(second.short_sha(), &sha[..16]);
        assert_eq!(bytes(second), one, "byte-identical");
        // One byte more: another bundle.
        write(dir.path(), "web/index.html", "application version: 3\n", 0o644);
        assert_ne!(Bundle::make(dir.path(), &Options::default()).unwrap().sha256, sha);
    }

    #[test]
    fn files_only_sorted_hidden_ones_unless_left_out_with_their_modes() {
        let dir = app();
        let b = Bundle::make(dir.path(), &Options::default()).unwrap();
        assert_eq!(b.files, [".git/HEAD", "appspec.yml", "scripts/check.sh", "scripts/start.sh", "web/index.html"]);
        assert_eq!(b.not_executable, ["scripts/check.sh"]);
        assert_eq!(b.size, bytes(Bundle::make(dir.path(), &Options::default()).unwrap()).len() as u64);
        let mut zip = zip::ZipArchive::new(b.file).unwrap();
        let names: Vec<String> = (0..zip.len()).map(|i| zip.by_index(i).unwrap().name().unwrap().to_string()).collect();
        assert_eq!(
            names,
            [".git/HEAD", "appspec.yml", "scripts/check.sh", "scripts/start.sh", "web/index.html"],
            "no directory entries"
        );
        assert_eq!(zip.by_name("scripts/start.sh").unwrap().unix_mode().map(|m| m & 0o777), Some(0o755));
        assert_eq!(zip.by_name("scripts/check.sh").unwrap().unix_mode().map(|m| m & 0o777), Some(0o644));
        let hidden = Bundle::make(dir.path(), &Options { ignore_hidden: true }).unwrap();
        assert_eq!(hidden.files, ["appspec.yml", "scripts/check.sh", "scripts/start.sh", "web/index.html"]);
    }

    #[test]
    fn what_a_bundle_cannot_hold_is_refused_with_a_hint() {
        let dir = app();
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("web/host")).unwrap();
        let err = Bundle::make(dir.path(), &Options::default()).unwrap_err();
        assert!(err.0.starts_with("web/host is a symbolic link (hint: "), "{err}");
        let dir = app();
        std::fs::rename(dir.path().join("appspec.yml"), dir.path().join("appspec.yaml")).unwrap();
        let err = Bundle::make(dir.path(), &Options::default()).unwrap_err();
        assert!(err.0.ends_with("has no appspec.yml (hint: rename appspec.yaml to appspec.yml)"), "{err}");
        let dir = app();
        let err = Bundle::make(&dir.path().join("appspec.yml"), &Options::default()).unwrap_err();
        assert!(err.0.contains("is not a directory (hint: "), "{err}");
    }

    #[test]
    fn secrets_are_named() {
        let dir = app();
        write(dir.path(), ".env", "TOKEN=x\n", 0o600);
        write(dir.path(), "deploy/id_rsa", "key\n", 0o600);
        let b = Bundle::make(dir.path(), &Options::default()).unwrap();
        assert_eq!(b.secrets, [".env", "deploy/id_rsa"]);
        let b = Bundle::make(dir.path(), &Options { ignore_hidden: true }).unwrap();
        assert_eq!(b.secrets, ["deploy/id_rsa"]);
    }

    #[test]
    fn names_that_look_like_secrets() {
        for name in [
            ".env",
            "config/.env.production",
            "certs/server.pem",
            "tls/site.KEY",
            "id_rsa",
            "home/id_ed25519.pub",
            ".aws/credentials",
            "x/.ssh/known_hosts",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "env",
            "environment.txt",
            "id_generator.py",
            "id_",
            "pem",
            "keys/readme.md",
            "aws/credentials.md",
            "scripts/start.sh",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }
}
