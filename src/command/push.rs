//! `bluegreen push DIR`: the bundle made and checked here ([`crate::bundle`]),
//! then on AWS: the application and the bucket checked, the bundle
//! uploaded under a name made of its content unless it is already there,
//! the revision registered; then what to run next. Every problem found
//! before the upload is one line with a hint and exit 2, with nothing sent
//! that changes anything.

use std::io::IsTerminal;
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::runtime;
use crate::bundle::{self, Bundle};
use crate::cloud::aws::push::{PART, Place, Pusher, Stored, Upload, location};
use crate::domain::clean;
use crate::exit::Failure;
use crate::report::{Interrupts, Out, SCHEMA_VERSION};

/// What to push, where, and how to say it.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The directory that holds `appspec.yml`.
    pub dir: PathBuf,
    /// The CodeDeploy application (the only one when not given).
    pub application: Option<String>,
    pub bucket: String,
    /// Folders in the bucket, before the bundle's name.
    pub prefix: Option<String>,
    pub description: Option<String>,
    pub ignore_hidden: bool,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// One JSON object on stdout instead of lines.
    pub json: bool,
}

/// Bundles, uploads and registers.
pub fn push(opts: &Options) -> Result<(), Failure> {
    let prefix = prefix(opts.prefix.as_deref())?;
    check_bucket_name(&opts.bucket)?;
    let spinner = spinner(&format!("bundling {}", clean(&opts.dir.display().to_string(), 200)), opts.json);
    let bundle = Bundle::make(&opts.dir, &bundle::Options { ignore_hidden: opts.ignore_hidden });
    spinner.finish_and_clear();
    let bundle = bundle.map_err(|p| Failure::Usage(p.0))?;
    let mut warnings = Vec::new();
    if !bundle.secrets.is_empty() {
        let hint = if opts.ignore_hidden {
            "move them out of the directory"
        } else {
            "--ignore-hidden-files leaves hidden ones out; move the others out of the directory"
        };
        warnings
            .push(format!("the bundle holds files that look like secrets: {} (hint: {hint})", listed(&bundle.secrets)));
    }
    if !bundle.not_executable.is_empty() {
        warnings.push(format!(
            "hook scripts without an executable bit: {} (the agent makes them executable; hint: chmod +x)",
            listed(&bundle.not_executable)
        ));
    }
    for w in &warnings {
        eprintln!("bluegreen: warning: {w}");
    }
    let from = std::fs::canonicalize(&opts.dir).unwrap_or_else(|_| opts.dir.clone());
    let description = clean(
        &opts
            .description
            .clone()
            .unwrap_or_else(|| format!("pushed by bluegreen {} from {}", env!("CARGO_PKG_VERSION"), from.display())),
        400,
    );
    runtime()?.block_on(async {
        // Every AWS call in the log file, as the console's are.
        let (_log_path, _log_guard) = crate::logging::init(None)?;
        tracing::info!(dir = %from.display(), bucket = %opts.bucket, sha256 = %bundle.sha256, "push");
        let pusher = Pusher::connect(opts.region.as_deref(), opts.profile.as_deref()).await?;
        let (application, groups) = pusher.check(opts.application.as_deref(), &opts.bucket).await?;
        let place =
            Place { bucket: opts.bucket.clone(), key: key(prefix.as_deref(), &application, bundle.short_sha()) };
        let mut interrupts = Interrupts::new()?;
        let stored =
            deliver(&pusher, &application, &bundle, &place, &description, opts.json, &mut interrupts, true).await?;
        let mut out = Out::new(std::io::stdout());
        if opts.json {
            let v = json!({
                "schema_version": SCHEMA_VERSION,
                "application": application,
                "region": pusher.region(),
                "bucket": place.bucket,
                "key": place.key,
                "etag": stored.etag,
                "version": stored.version,
                "size": bundle.size,
                "sha256": bundle.sha256,
                "uploaded": stored.uploaded,
                "files": bundle.files.len(),
                "description": description,
                "warnings": warnings,
            });
            out.line(&v.to_string())
        } else {
            out.lines(summary(&bundle, &application, &groups, &place, &stored, &description).iter().map(String::as_str))
        }
    })
}

/// Uploads the bundle to `place` unless it is there, then registers it as a
/// revision of `application` (when `always_register`, or when it was not
/// registered yet); an interrupt says what was left and how to go on.
#[expect(clippy::too_many_arguments, reason = "the steps of one push, shared with tutorial up")]
pub(super) async fn deliver(
    pusher: &Pusher,
    application: &str,
    bundle: &Bundle,
    place: &Place,
    description: &str,
    json: bool,
    interrupts: &mut Interrupts,
    always_register: bool,
) -> Result<Stored, Failure> {
    let upload = Upload { file: &bundle.file, size: bundle.size, sha256: &bundle.sha256 };
    let stored = if let Some(stored) = pusher.existing(place, &upload).await? {
        stored
    } else {
        let bar = bar(bundle.size, json);
        let progress = |n: u64| bar.inc(n);
        let stored = pusher.upload(place, &upload, description, &progress, interrupts.recv()).await;
        bar.finish_and_clear();
        if let Err(Failure::Signal(_)) = stored {
            if bundle.size < PART {
                // One PutObject in flight: S3 may have finished it.
                eprintln!(
                    "bluegreen: interrupted: {} may or may not have been written; nothing was registered (hint: push again: the same content is not uploaded twice)",
                    location(place)
                );
            } else {
                eprintln!(
                    "bluegreen: interrupted: the upload was aborted, no part is left, nothing was registered ({})",
                    location(place)
                );
            }
        }
        stored?
    };
    if !always_register && !stored.uploaded && pusher.registered(application, place, &stored).await? {
        return Ok(stored);
    }
    tokio::select! {
        registered = pusher.register(application, place, &stored, description) => registered?,
        failure = interrupts.recv() => {
            eprintln!("bluegreen: interrupted: {} is uploaded; it may not be registered (hint: push again: it is not uploaded twice)", location(place));
            return Err(failure);
        }
    }
    Ok(stored)
}

/// What push did, for a person.
fn summary(
    bundle: &Bundle,
    application: &str,
    groups: &[String],
    place: &Place,
    stored: &Stored,
    description: &str,
) -> Vec<String> {
    let mut lines =
        vec![format!("bundle     {} file(s), {}, sha256 {}", bundle.files.len(), bytes(bundle.size), bundle.sha256)];
    let version = stored.version.as_deref().map_or(String::new(), |v| format!(", version {v}"));
    if stored.uploaded {
        lines.push(format!("uploaded   {} (etag {}{version})", location(place), stored.etag));
    } else {
        lines.push(format!(
            "unchanged  {} is already there with this content (etag {}{version}); not uploaded again",
            location(place),
            stored.etag
        ));
    }
    lines.push(format!("registered a revision of {application}: {description}"));
    let next = match groups {
        [] => format!(
            "next       create a blue/green deployment group for {application}, then bluegreen --app {application}"
        ),
        [only] => format!("next       bluegreen --app {application} --group {only}, then d to deploy it"),
        _ => format!(
            "next       bluegreen --app {application} --group GROUP (one of {}), then d to deploy it",
            listed(groups)
        ),
    };
    lines.push(next);
    lines
}

/// The object's key: `PREFIX/APP-<16 hex of the SHA-256>.zip`.
pub fn key(prefix: Option<&str>, application: &str, short_sha: &str) -> String {
    let app: String =
        application.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' }).collect();
    match prefix {
        Some(p) => format!("{p}/{app}-{short_sha}.zip"),
        None => format!("{app}-{short_sha}.zip"),
    }
}

/// The prefix without slashes at its ends; none when empty.
fn prefix(raw: Option<&str>) -> Result<Option<String>, Failure> {
    let Some(p) = raw.map(|p| p.trim_matches('/')).filter(|p| !p.is_empty()) else { return Ok(None) };
    if p.chars().any(char::is_control) || p.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return Err(Failure::Usage(format!(
            "--prefix {} is not a folder path (hint: names joined by /, such as releases/web)",
            clean(p, 100)
        )));
    }
    Ok(Some(p.to_string()))
}

/// A bucket name as S3 allows it (3 to 63 lowercase letters, digits, dots
/// and hyphens, beginning and ending with a letter or digit).
fn check_bucket_name(name: &str) -> Result<(), Failure> {
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && ends(name.chars().next())
        && ends(name.chars().last());
    if ok {
        Ok(())
    } else {
        Err(Failure::Usage(format!(
            "--bucket {} is not a bucket name (hint: the name alone, such as my-bundles, not s3://… or a path)",
            clean(name, 100)
        )))
    }
}

/// The first few names, and how many more.
fn listed(names: &[String]) -> String {
    let cleaned: Vec<String> = names.iter().map(|n| clean(n, 200)).collect();
    crate::domain::some_of(&cleaned, 5)
}

/// A size for a person: bytes, KiB or MiB.
fn bytes(n: u64) -> String {
    match n {
        n if n < 1024 => format!("{n} B"),
        n if n < 1024 * 1024 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0)),
    }
}

/// Whether progress is drawn: on a terminal, and not with --json.
fn drawn(json: bool) -> bool {
    !json && std::io::stderr().is_terminal()
}

/// A spinner saying what is being done, while it is.
fn spinner(what: &str, json: bool) -> ProgressBar {
    if !drawn(json) {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.set_message(what.to_string());
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    spinner
}

/// A progress bar on a terminal; nothing when stderr is not one, or with --json.
fn bar(size: u64, json: bool) -> ProgressBar {
    if !drawn(json) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("uploading  {bytes}/{total_bytes}, {bytes_per_sec}, {eta} left [{wide_bar}]")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_of_the_prefix_the_application_and_the_content() {
        assert_eq!(key(None, "bluegreen-app", "0123456789abcdef"), "bluegreen-app-0123456789abcdef.zip");
        assert_eq!(
            key(Some("releases/web"), "my app/x", "0123456789abcdef"),
            "releases/web/my-app-x-0123456789abcdef.zip"
        );
    }

    #[test]
    fn prefixes_lose_their_slashes_and_keep_their_folders() {
        assert_eq!(prefix(None).unwrap(), None);
        assert_eq!(prefix(Some("/")).unwrap(), None);
        assert_eq!(prefix(Some("/releases/web/")).unwrap().as_deref(), Some("releases/web"));
        for bad in ["a//b", "a/../b", "./a", "a\u{7}"] {
            let err = prefix(Some(bad)).unwrap_err();
            assert!(matches!(err, Failure::Usage(ref l) if l.contains("hint")), "{bad}: {err:?}");
        }
    }

    #[test]
    fn bucket_names_as_s3_allows_them() {
        for good in ["abc", "my-bundles", "a.b-c.1", &"a".repeat(63)] {
            assert!(check_bucket_name(good).is_ok(), "{good}");
        }
        for bad in ["ab", "s3://bucket", "Bucket", "-a-", "a-", "bucket/key", &"a".repeat(64)] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_and_lists_for_a_person() {
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(20 * 1024 * 1024), "20.0 MiB");
        let names: Vec<String> = (1..=7).map(|n| format!("f{n}")).collect();
        assert_eq!(listed(&names), "f1, f2, f3, f4, f5 and 2 more");
        assert_eq!(listed(&names[..2]), "f1, f2");
    }
}
