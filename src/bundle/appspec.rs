//! The checks an `appspec.yml` must pass before its bundle leaves: YAML,
//! `version: 0.0`, an `os`, hooks CodeDeploy knows (and lets scripts run
//! in), and every file a hook or a `files` entry names inside the bundle.
//! What the CodeDeploy agent would refuse half-way through a deployment is
//! refused here, before anything is uploaded.

use std::collections::BTreeSet;

use yaml_rust2::{Yaml, YamlLoader};

use crate::domain::clean;

/// The lifecycle events of an EC2 deployment whose scripts the agent runs.
pub const HOOKS: [&str; 9] = [
    "ApplicationStop",
    "BeforeInstall",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "BeforeBlockTraffic",
    "AfterBlockTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

/// Events CodeDeploy runs itself; an appspec may not give them scripts.
const RESERVED: [&str; 4] = ["DownloadBundle", "Install", "BlockTraffic", "AllowTraffic"];

/// The longest a hook may take, in seconds (the agent's limit).
const LONGEST: i64 = 3600;

/// What the appspec asks of the agent, as far as the checks read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    pub os: String,
    /// Each hook with the scripts it runs, in the appspec's order.
    pub hooks: Vec<(String, Vec<String>)>,
}

/// Reads `text` (the bundle's `appspec.yml`) against the bundle's files
/// (paths relative to its root, `/`-separated). The error is one line with
/// a hint.
pub fn check(text: &str, files: &BTreeSet<String>) -> Result<AppSpec, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| {
        format!(
            "appspec.yml is not YAML: {} (hint: check its indentation with spaces, not tabs)",
            clean(&e.to_string(), 200)
        )
    })?;
    let Some(doc) = docs.first().filter(|d| d.as_hash().is_some()) else {
        return Err("appspec.yml holds no mapping (hint: it starts with `version: 0.0` and `os: linux`)".into());
    };
    match &doc["version"] {
        Yaml::Real(v) | Yaml::String(v) if v == "0.0" => {}
        Yaml::BadValue => return Err("appspec.yml has no version (hint: add `version: 0.0`)".into()),
        other => {
            return Err(format!(
                "appspec.yml says version {}; CodeDeploy reads only 0.0 (hint: set `version: 0.0`)",
                scalar(other)
            ));
        }
    }
    let os = match &doc["os"] {
        Yaml::String(os) if os == "linux" || os == "windows" => os.clone(),
        Yaml::BadValue => return Err("appspec.yml names no os (hint: add `os: linux`)".into()),
        other => {
            return Err(format!(
                "appspec.yml says os {}; CodeDeploy knows linux and windows (hint: `os: linux`)",
                scalar(other)
            ));
        }
    };
    check_files(&doc["files"], files)?;
    let hooks = check_hooks(&doc["hooks"], files)?;
    Ok(AppSpec { os, hooks })
}

fn check_files(section: &Yaml, files: &BTreeSet<String>) -> Result<(), String> {
    let entries = match section {
        Yaml::BadValue | Yaml::Null => return Ok(()),
        Yaml::Array(entries) => entries,
        _ => return Err("appspec.yml: files is not a list (hint: `files:` then `- source: /` lines)".into()),
    };
    for entry in entries {
        let Some(source) = entry["source"].as_str() else {
            return Err("appspec.yml: a files entry has no source (hint: `- source: /` and a destination)".into());
        };
        if entry["destination"].as_str().is_none() {
            return Err(format!(
                "appspec.yml: files entry {} has no destination (hint: add `destination: /path/on/the/instance`)",
                clean(source, 200)
            ));
        }
        let path = relative(source);
        let inside = path.is_empty()
            || files.contains(&path)
            || files.range(format!("{path}/")..).next().is_some_and(|f| f.starts_with(&format!("{path}/")));
        if !inside {
            return Err(format!(
                "appspec.yml: files source {} is not in the bundle (hint: paths are relative to the pushed directory; hidden files are left out with --ignore-hidden-files)",
                clean(source, 200)
            ));
        }
    }
    Ok(())
}

fn check_hooks(section: &Yaml, files: &BTreeSet<String>) -> Result<Vec<(String, Vec<String>)>, String> {
    let hooks = match section {
        Yaml::BadValue | Yaml::Null => return Ok(Vec::new()),
        Yaml::Hash(hooks) => hooks,
        _ => return Err("appspec.yml: hooks is not a mapping (hint: `hooks:` then `ApplicationStart:` …)".into()),
    };
    let mut out = Vec::new();
    for (name, scripts) in hooks {
        let name = scalar(name);
        if RESERVED.contains(&name.as_str()) {
            return Err(format!(
                "appspec.yml: {name} runs no scripts, CodeDeploy does it itself (hint: use Before{name} or After{name}, or BeforeInstall/AfterInstall)",
            ));
        }
        if !HOOKS.contains(&name.as_str()) {
            return Err(format!("appspec.yml: no lifecycle event {name} (hint: one of {})", HOOKS.join(", ")));
        }
        let Some(scripts) = scripts.as_vec() else {
            return Err(format!("appspec.yml: {name} is not a list of scripts (hint: `- location: scripts/…`)"));
        };
        let mut locations = Vec::new();
        for script in scripts {
            let Some(location) = script["location"].as_str() else {
                return Err(format!("appspec.yml: a script of {name} has no location (hint: `- location: scripts/…`)"));
            };
            let path = relative(location);
            if !files.contains(&path) {
                return Err(format!(
                    "appspec.yml: {name} runs {}, which is not in the bundle (hint: locations are relative to the pushed directory; hidden files are left out with --ignore-hidden-files)",
                    clean(location, 200)
                ));
            }
            match &script["timeout"] {
                Yaml::BadValue | Yaml::Null => {}
                Yaml::Integer(t) if (1..=LONGEST).contains(t) => {}
                other => {
                    return Err(format!(
                        "appspec.yml: {name} {path} has timeout {}; a hook may take 1 to {LONGEST} seconds (hint: a whole number of seconds)",
                        scalar(other)
                    ));
                }
            }
            locations.push(path);
        }
        out.push((name, locations));
    }
    Ok(out)
}

/// A bundle path as the agent resolves it: relative to the bundle's root.
fn relative(path: &str) -> String {
    let mut p = path.trim();
    loop {
        if let Some(rest) = p.strip_prefix('/') {
            p = rest;
        } else if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        } else {
            break;
        }
    }
    p.trim_end_matches('/').to_string()
}

/// A scalar as the appspec wrote it, for a message.
fn scalar(y: &Yaml) -> String {
    let text = match y {
        Yaml::Real(s) | Yaml::String(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null => "null".into(),
        _ => "(not a value)".into(),
    };
    clean(&text, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(ToString::to_string).collect()
    }

    const GOOD: &str = "version: 0.0\nos: linux\nfiles:\n  - source: /www\n    destination: /var/www/html\nhooks:\n  ApplicationStop:\n    - location: scripts/stop.sh\n      timeout: 60\n  ApplicationStart:\n    - location: /scripts/start.sh\n    - location: ./scripts/warm.sh\n      runas: root\n";

    #[test]
    fn a_good_appspec_gives_its_hooks_in_order() {
        let spec = check(
            GOOD,
            &files(&["appspec.yml", "www/index.html", "scripts/stop.sh", "scripts/start.sh", "scripts/warm.sh"]),
        )
        .unwrap();
        assert_eq!(spec.os, "linux");
        assert_eq!(
            spec.hooks,
            vec![
                ("ApplicationStop".to_string(), vec!["scripts/stop.sh".to_string()]),
                ("ApplicationStart".to_string(), vec!["scripts/start.sh".to_string(), "scripts/warm.sh".to_string()]),
            ]
        );
    }

    #[test]
    fn each_problem_is_one_line_with_a_hint() {
        let all = files(&["appspec.yml", "www/index.html", "scripts/stop.sh", "scripts/start.sh", "scripts/warm.sh"]);
        let cases: &[(&str, &str)] = &[
            ("version: 0.0\nos: linux\n  bad: [", "is not YAML"),
            ("- a\n- b\n", "holds no mapping"),
            ("os: linux\n", "has no version"),
            ("version: 1.0\nos: linux\n", "says version 1.0"),
            ("version: true\nos: linux\n", "says version true"),
            ("version: 0.0\nos: ~\n", "says os null"),
            ("version: 0.0\n", "names no os"),
            ("version: 0.0\nos: macos\n", "says os macos"),
            ("version: 0.0\nos: linux\nfiles: /\n", "files is not a list"),
            ("version: 0.0\nos: linux\nfiles:\n  - destination: /x\n", "has no source"),
            ("version: 0.0\nos: linux\nfiles:\n  - source: /\n", "has no destination"),
            (
                "version: 0.0\nos: linux\nfiles:\n  - source: ww\n    destination: /x\n",
                "files source ww is not in the bundle",
            ),
            ("version: 0.0\nos: linux\nhooks: [a]\n", "hooks is not a mapping"),
            (
                "version: 0.0\nos: linux\nhooks:\n  Install:\n    - location: scripts/stop.sh\n",
                "Install runs no scripts",
            ),
            (
                "version: 0.0\nos: linux\nhooks:\n  AfterStart:\n    - location: scripts/stop.sh\n",
                "no lifecycle event AfterStart",
            ),
            ("version: 0.0\nos: linux\nhooks:\n  ApplicationStop: scripts/stop.sh\n", "is not a list of scripts"),
            ("version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - timeout: 5\n", "has no location"),
            (
                "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: scripts/gone.sh\n",
                "runs scripts/gone.sh, which is not in the bundle",
            ),
            (
                "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: scripts/stop.sh\n      timeout: 3601\n",
                "has timeout 3601",
            ),
            (
                "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: scripts/stop.sh\n      timeout: soon\n",
                "has timeout soon",
            ),
        ];
        for (text, says) in cases {
            let err = check(text, &all).expect_err(text);
            assert!(err.contains(says), "'{says}' in: {err}");
            assert!(err.contains("(hint: "), "a hint: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn a_files_source_may_be_the_root_a_directory_or_a_file() {
        let all = files(&["appspec.yml", "www/index.html", "wwwroot.txt"]);
        for source in ["/", "www", "/www/", "www/index.html", "wwwroot.txt"] {
            let text = format!("version: 0.0\nos: linux\nfiles:\n  - source: {source}\n    destination: /x\n");
            assert!(check(&text, &all).is_ok(), "{source}");
        }
        // A name that only begins like a directory is not inside it.
        let text = "version: 0.0\nos: linux\nfiles:\n  - source: ww\n    destination: /x\n";
        assert!(check(text, &all).is_err());
        let text = "version: 0.0\nos: linux\nfiles:\n  - source: wwwroot\n    destination: /x\n";
        assert!(check(text, &all).is_err());
    }

    #[test]
    fn the_version_may_be_quoted_and_timeouts_have_both_limits() {
        let all = files(&["appspec.yml", "s.sh"]);
        assert!(check("version: \"0.0\"\nos: windows\n", &all).is_ok());
        for (t, ok) in [(1, true), (3600, true), (0, false), (3601, false)] {
            let text = format!(
                "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: s.sh\n      timeout: {t}\n"
            );
            assert_eq!(check(&text, &all).is_ok(), ok, "timeout {t}");
        }
    }

    #[test]
    fn control_characters_from_the_file_never_reach_a_message() {
        let err = check("version: \"0.0\u{1b}[2J\"\nos: linux\n", &files(&[])).unwrap_err();
        assert!(!err.contains('\u{1b}'), "{err}");
    }
}
