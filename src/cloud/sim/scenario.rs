//! Scenarios: TOML files that set up a world (the deployment group's
//! settings, instance counts, timings, faults) and say what must come out of
//! playing its story (`[expect]`). The built-in ones are compiled into the
//! binary; a path to a file works too. Unknown fields are errors.

use serde::Deserialize;

use crate::cloud::Tag;
use crate::domain::Hook;

/// The scenarios built into the binary, by name.
pub const BUILTIN: [(&str, &str); 9] = [
    ("manual-reroute", include_str!("../../../assets/scenarios/manual-reroute.toml")),
    ("tutorial", include_str!("../../../assets/scenarios/tutorial.toml")),
    ("terminate", include_str!("../../../assets/scenarios/terminate.toml")),
    ("hook-fails", include_str!("../../../assets/scenarios/hook-fails.toml")),
    ("flaky-green", include_str!("../../../assets/scenarios/flaky-green.toml")),
    ("launch-denied", include_str!("../../../assets/scenarios/launch-denied.toml")),
    ("scale-out-in-ready", include_str!("../../../assets/scenarios/scale-out-in-ready.toml")),
    ("ready-timeout", include_str!("../../../assets/scenarios/ready-timeout.toml")),
    ("bundle-overwritten", include_str!("../../../assets/scenarios/bundle-overwritten.toml")),
];

/// A world to play and what playing its story must give.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Makes ids, addresses and timings repeatable.
    pub seed: u64,
    /// The actions `--plain` plays when no `--script` is given, e.g.
    /// `"deploy; wait Ready; promote; wait Succeeded"`.
    pub story: String,
    #[serde(default)]
    pub group: GroupSettings,
    #[serde(default)]
    pub timing: Timing,
    #[serde(default)]
    pub faults: Vec<Fault>,
    pub expect: Expect,
}

/// How traffic moves once green is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reroute {
    /// `CONTINUE_DEPLOYMENT`: at once.
    Automatic,
    /// `STOP_DEPLOYMENT`: when someone promotes.
    Manual,
}

/// What happens to the originals after a successful deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Originals {
    Keep,
    Terminate,
}

/// Application or Classic load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LbKind {
    Application,
    Classic,
}

/// The deployment group and its surroundings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupSettings {
    pub region: String,
    pub application: String,
    pub deployment_group: String,
    pub asg: String,
    pub instances: u32,
    pub reroute: Reroute,
    pub ready_wait_minutes: u32,
    pub originals: Originals,
    pub termination_wait_minutes: u32,
    pub load_balancer: LbKind,
    pub load_balancer_name: String,
    pub target_group: String,
    pub auto_rollback: bool,
    /// The CloudFormation stack that made the group, if one did (its
    /// `aws:cloudformation:stack-name` tag).
    pub stack: Option<String>,
}

impl Default for GroupSettings {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            application: "bluegreen-app".into(),
            deployment_group: "bluegreen-dg".into(),
            asg: "bluegreen-asg".into(),
            instances: 2,
            reroute: Reroute::Manual,
            ready_wait_minutes: 60,
            originals: Originals::Keep,
            termination_wait_minutes: 5,
            load_balancer: LbKind::Application,
            load_balancer_name: "bluegreen-alb".into(),
            target_group: "bluegreen-tg".into(),
            auto_rollback: true,
            stack: None,
        }
    }
}

/// Durations in world seconds, modelled on AWS's; `pace` is how many world
/// seconds pass per real second in the demo.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timing {
    pub launch_seconds: [u64; 2],
    pub hook_seconds: [u64; 2],
    pub traffic_hook_seconds: [u64; 2],
    pub health_interval_seconds: u64,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    pub deregistration_delay_seconds: u64,
    pub termination_seconds: u64,
    pub pace: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            launch_seconds: [45, 70],
            hook_seconds: [3, 12],
            traffic_hook_seconds: [1, 3],
            health_interval_seconds: 10,
            healthy_threshold: 2,
            unhealthy_threshold: 2,
            deregistration_delay_seconds: 30,
            termination_seconds: 20,
            pace: 5.0,
        }
    }
}

/// Something that goes wrong on purpose.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// A lifecycle hook fails on the n-th green instance (0-based) of the
    /// first deployment, with this log tail.
    HookFails { hook: Hook, instance: usize, log_tail: String },
    /// The n-th green instance answers 503 on its page (its health check
    /// path still answers 200) for its first `seconds` in service.
    #[serde(rename = "serves-503")]
    Serves503 { instance: usize, seconds: u64 },
    /// CodeDeploy's service role may not launch the copy (a group made from
    /// a launch template, with AWSCodeDeployRole alone): the first
    /// deployment fails before green exists.
    GreenLaunchDenied,
    /// Auto Scaling adds instances to green while the first deployment
    /// waits in Ready: they are no deployment targets and run the old version.
    ScaleOutInReady { instances: u32 },
    /// The newest revision's bundle was pushed again under the same key
    /// after it was registered: S3 holds another ETag now.
    BundleOverwritten,
}

/// Whether the load balancer must have answered every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailedRequests {
    Zero,
    Some,
}

/// What playing the story must give.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Final status of every deployment, in the order they were created.
    pub statuses: Vec<String>,
    /// Tags of world events that must occur in this order (others may come between).
    pub events: Vec<Tag>,
    /// `original` (the group the world started with) or `replacement` (the
    /// first deployment's copy): which group serves at the end.
    pub serving: String,
    /// The version the load balancer serves at the end.
    pub version: String,
    /// Failed requests at the load balancer while the story plays.
    pub failed_requests: FailedRequests,
}

/// The largest scenario file read, in bytes.
pub const MAX_FILE: u64 = 64 * 1024;

impl Scenario {
    /// A built-in scenario by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<Self, String> {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Self::parse(text).map_err(|e| format!("built-in scenario {name_or_path}: {e}"));
        }
        let shown = crate::domain::clean(name_or_path, 80);
        if !std::path::Path::new(name_or_path).extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
            let names: Vec<_> = BUILTIN.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "unknown scenario '{shown}' (hint: one of {}, or a path to a .toml file)",
                names.join(", ")
            ));
        }
        let unreadable = |e: std::io::Error| {
            format!(
                "cannot read scenario {shown}: {} (hint: check the path)",
                crate::domain::clean(&e.to_string(), 200)
            )
        };
        let size = std::fs::metadata(name_or_path).map_err(unreadable)?.len();
        if size > MAX_FILE {
            return Err(format!(
                "scenario {shown} is {size} bytes (hint: a scenario file is at most {MAX_FILE} bytes; see assets/scenarios/)"
            ));
        }
        let text = std::fs::read_to_string(name_or_path).map_err(unreadable)?;
        Self::parse(&text).map_err(|e| format!("scenario {shown}: {e}"))
    }

    /// Parses and checks a scenario's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let s: Scenario = toml::from_str(text).map_err(|e| {
            let message = crate::domain::clean(&one_line(&e.to_string()), 300);
            format!("{message} (hint: compare with a built-in scenario in assets/scenarios/)")
        })?;
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<(), String> {
        let g = &self.group;
        let no_stack = String::from("stack");
        let names = [
            ("group.stack", g.stack.as_ref().unwrap_or(&no_stack)),
            ("group.application", &g.application),
            ("group.deployment_group", &g.deployment_group),
            ("group.asg", &g.asg),
            ("group.load_balancer_name", &g.load_balancer_name),
            ("group.target_group", &g.target_group),
            ("group.region", &g.region),
        ];
        for (field, value) in names {
            let ok = !value.is_empty()
                && value.len() <= 64
                && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(format!(
                    "{field} '{}' is not a usable name (hint: 1 to 64 letters, digits, '-', '_' or '.')",
                    crate::domain::clean(value, 40)
                ));
            }
        }
        let plain = |s: &str, max: usize| s.chars().count() <= max && !s.chars().any(char::is_control);
        if !plain(&self.name, 64) || !plain(&self.description, 500) {
            return Err(
                "name and description must be plain text (hint: no control characters; at most 64 and 500 characters)"
                    .into(),
            );
        }
        range("group.instances", u64::from(g.instances), 1, 500)?;
        range("group.ready_wait_minutes", u64::from(g.ready_wait_minutes), 1, 2880)?;
        range("group.termination_wait_minutes", u64::from(g.termination_wait_minutes), 0, 2880)?;
        let t = &self.timing;
        for (name, [lo, hi], min) in [
            ("timing.launch_seconds", t.launch_seconds, 1),
            ("timing.hook_seconds", t.hook_seconds, 0),
            ("timing.traffic_hook_seconds", t.traffic_hook_seconds, 0),
        ] {
            range(name, lo, min, 3600)?;
            range(name, hi, min, 3600)?;
            if lo > hi {
                return Err(format!("{name}: the first number must not exceed the second (hint: [low, high])"));
            }
        }
        range("timing.health_interval_seconds", t.health_interval_seconds, 1, 300)?;
        range("timing.healthy_threshold", u64::from(t.healthy_threshold), 1, 10)?;
        range("timing.unhealthy_threshold", u64::from(t.unhealthy_threshold), 1, 10)?;
        range("timing.deregistration_delay_seconds", t.deregistration_delay_seconds, 0, 3600)?;
        range("timing.termination_seconds", t.termination_seconds, 0, 3600)?;
        if !(0.1..=1000.0).contains(&t.pace) {
            return Err(format!(
                "timing.pace {} is out of range (hint: from 0.1 to 1000 world seconds per real second)",
                crate::domain::clean(&t.pace.to_string(), 24)
            ));
        }
        if !matches!(self.expect.serving.as_str(), "original" | "replacement") {
            return Err("expect.serving must be 'original' or 'replacement'".into());
        }
        for f in &self.faults {
            let n = match f {
                Fault::HookFails { instance, .. } | Fault::Serves503 { instance, .. } => *instance,
                Fault::GreenLaunchDenied | Fault::BundleOverwritten => 0,
                Fault::ScaleOutInReady { instances } => {
                    range("a scale-out-in-ready fault's instances", u64::from(*instances), 1, 100)?;
                    0
                }
            };
            if n >= g.instances as usize {
                return Err(format!(
                    "a fault names green instance {n}, but the group has {} (hint: count from 0)",
                    g.instances
                ));
            }
            match f {
                Fault::HookFails { hook, log_tail, .. } => {
                    // The hooks a green instance runs.
                    let failable = || Hook::INSTALL.iter().chain(Hook::ALLOW);
                    if !failable().any(|h| h == hook) {
                        let names: Vec<&str> = failable().map(Hook::as_str).collect();
                        return Err(format!(
                            "a hook-fails fault names hook '{}' (hint: one of {})",
                            crate::domain::clean(hook.as_str(), 40),
                            names.join(", ")
                        ));
                    }
                    if log_tail.len() > 4096 {
                        return Err(
                            "a hook-fails fault's log_tail is over 4 KB (hint: CodeDeploy keeps the last 4 KB)".into(),
                        );
                    }
                }
                Fault::Serves503 { seconds, .. } => range("a serves-503 fault's seconds", *seconds, 0, 86_400)?,
                Fault::GreenLaunchDenied | Fault::ScaleOutInReady { .. } | Fault::BundleOverwritten => {}
            }
        }
        Ok(())
    }
}

/// `value` within `lo..=hi`, or an error naming the accepted range.
fn range(field: &str, value: u64, lo: u64, hi: u64) -> Result<(), String> {
    if (lo..=hi).contains(&value) { Ok(()) } else { Err(format!("{field} is {value} (hint: from {lo} to {hi})")) }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('|')).collect::<Vec<_>>().join(" ")
}
