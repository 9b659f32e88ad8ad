//! `bluegreen tutorial`: the kit that makes the tutorial work in today's
//! accounts.
//!
//! - `up`: the stack (progress: resources done of all, the current one,
//!   elapsed; a bar on a terminal, a line per stack event otherwise), then
//!   the application and the blue/green deployment group by API, then
//!   version 2 pushed, then the URL and the command that opens the console.
//!   Run again, it finishes what is missing and changes nothing that exists.
//! - `down`: one plan of everything it deletes, read whole, confirmed by
//!   typing the stack's name (or `--yes`), then each step until nothing is
//!   left. It deletes only what it proves is the kit's.
//! - `template`: the CloudFormation template; `app`: the sample application.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};

use super::push::deliver;
use super::runtime;
use crate::bundle::{self, Bundle};
use crate::cloud::aws::push::{Place, location};
use crate::cloud::aws::tutorial::{Stack, Tutor};
use crate::domain::clean;
use crate::exit::Failure;
use crate::report::{Interrupts, Out};
use crate::tutorial::{self, BINARY_KEY, FIRST_VERSION, Kit, Outputs, READY_WAIT_MINUTES, Reroute, TEMPLATE};

/// Which `tutorial` command, with its options.
#[derive(Debug, Clone)]
pub enum Options {
    Up(Up),
    Down(Down),
    Template,
    App { dir: PathBuf, version: String },
}

/// `tutorial up`.
#[derive(Debug, Clone, Default)]
pub struct Up {
    pub kit: Kit,
    pub region: Option<String>,
    pub profile: Option<String>,
}

/// `tutorial down`.
#[derive(Debug, Clone, Default)]
pub struct Down {
    pub stack: String,
    pub yes: bool,
    pub region: Option<String>,
    pub profile: Option<String>,
}

/// How often a stack or a deletion is looked at while it goes on.
const EVERY: Duration = Duration::from_secs(5);

/// How long `up` and `down` follow a stack before giving up following.
const PATIENCE: Duration = Duration::from_secs(60 * 60);

pub fn run(opts: &Options) -> Result<(), Failure> {
    match opts {
        Options::Template => Out::new(std::io::stdout()).text(TEMPLATE.as_bytes()),
        Options::App { dir, version } => {
            let written = tutorial::write_app(dir, version).map_err(Failure::Usage)?;
            let mut out = Out::new(std::io::stdout());
            out.line(&format!(
                "wrote       the sample application, version {version}, in {} ({} files)",
                clean(&dir.display().to_string(), 200),
                written.len()
            ))?;
            out.line(&format!(
                "next        bluegreen push {} --bucket BUCKET (the stack's Bucket output)",
                clean(&dir.display().to_string(), 200)
            ))
        }
        Options::Up(up) => {
            check_up(&up.kit)?;
            runtime()?.block_on(self::up(up))
        }
        Options::Down(down) => {
            tutorial::check_stack_name(&down.stack).map_err(Failure::Usage)?;
            runtime()?.block_on(self::down(down))
        }
    }
}

/// The options of `up`, checked before anything is sent.
fn check_up(kit: &Kit) -> Result<(), Failure> {
    tutorial::check_stack_name(&kit.stack).map_err(Failure::Usage)?;
    match (&kit.vpc, kit.subnets.len()) {
        (None, 0) => {}
        (Some(vpc), n) if n >= 2 && vpc.starts_with("vpc-") => {}
        (Some(_), n) if n < 2 => {
            return Err(Failure::Usage(
                "--vpc needs --subnets with two or more public subnets in different zones (hint: --subnets subnet-a,subnet-b)".into(),
            ));
        }
        (Some(vpc), _) => {
            return Err(Failure::Usage(format!("--vpc {} is not a VPC id (hint: vpc-0123…)", clean(vpc, 40))));
        }
        (None, _) => {
            return Err(Failure::Usage("--subnets needs --vpc, the VPC they are in (hint: --vpc vpc-0123…)".into()));
        }
    }
    if let Some(bad) = kit.subnets.iter().find(|s| !s.starts_with("subnet-")) {
        return Err(Failure::Usage(format!("--subnets: {} is not a subnet id (hint: subnet-0123…)", clean(bad, 40))));
    }
    match (&kit.key_name, &kit.ssh_from) {
        (Some(_), None) | (None, Some(_)) => Err(Failure::Usage(
            "--key-name and --ssh-from go together: SSH is opened only to the addresses given (hint: --ssh-from 203.0.113.7/32, or neither for Session Manager alone)".into(),
        )),
        (Some(_), Some(_)) if !kit.workstation => {
            Err(Failure::Usage("--key-name is for the workstation (hint: add --workstation)".into()))
        }
        (_, Some(cidr)) if !looks_cidr(cidr) => Err(Failure::Usage(format!(
            "--ssh-from {} is not an IPv4 CIDR block (hint: 203.0.113.7/32)",
            clean(cidr, 40)
        ))),
        _ => Ok(()),
    }
}

fn looks_cidr(text: &str) -> bool {
    let Some((ip, bits)) = text.split_once('/') else { return false };
    ip.parse::<std::net::Ipv4Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 32)
}

/// Prints progress lines on stderr (the summary goes to stdout).
fn say(line: &str) {
    eprintln!("{line}");
}

/// A bar on a terminal (resources done of all); none otherwise.
fn bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("            {pos}/{len} resources [{bar:30}] {elapsed} {wide_msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// Follows a stack until it is no longer in progress: a line per event
/// when piped, a bar on a terminal. Gives the stack as it ended (`None`
/// when it is gone).
async fn follow(
    tutor: &Tutor,
    name: &str,
    total: usize,
    deleting: bool,
    interrupts: &mut Interrupts,
) -> Result<Option<Stack>, Failure> {
    let started = Instant::now();
    let bar = bar(total as u64);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let terminal = std::io::stderr().is_terminal();
    loop {
        let stack = tutor.stack(name).await?;
        let events = match &stack {
            Some(_) => tutor.events(name).await.unwrap_or_default(),
            None => Vec::new(),
        };
        // Oldest first, each once.
        for e in events.iter().rev().filter(|e| seen.insert(e.id.clone())) {
            let finished = if deleting { "DELETE_COMPLETE" } else { "CREATE_COMPLETE" };
            // The stack's own events are lines too, but not resources.
            if e.status == finished && e.kind != "AWS::CloudFormation::Stack" {
                done.insert(e.logical.clone());
            }
            let line = format!(
                "            {} {}{} ({}/{total}, {})",
                e.logical,
                e.status,
                e.reason
                    .as_deref()
                    .filter(|_| e.status.ends_with("FAILED"))
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
                done.len(),
                elapsed(started.elapsed())
            );
            if terminal {
                bar.set_position(done.len() as u64);
                bar.set_message(format!("{} {}", e.logical, e.status));
            } else {
                say(&line);
            }
        }
        match stack {
            Some(s) if s.in_progress() => {}
            other => {
                bar.finish_and_clear();
                return Ok(other);
            }
        }
        if started.elapsed() > PATIENCE {
            bar.finish_and_clear();
            return Err(Failure::TimedOut(format!(
                "stack {name} is still in progress after an hour (hint: run the same command again to follow it)"
            )));
        }
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            failure = interrupts.recv() => {
                bar.finish_and_clear();
                say(&format!("bluegreen: interrupted: stack {name} goes on in CloudFormation (hint: run the same command again to follow it)"));
                return Err(failure);
            }
        }
    }
}

/// `1m05s`.
fn elapsed(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 { format!("{s}s") } else { format!("{}m{:02}s", s / 60, s % 60) }
}

/// The first resource that failed, and why, for a stack that did not make it.
async fn first_failure(tutor: &Tutor, name: &str) -> String {
    let events = tutor.events(name).await.unwrap_or_default();
    events
        .iter()
        .rev()
        .find(|e| {
            e.status.ends_with("_FAILED")
                && e.kind != "AWS::CloudFormation::Stack"
                && !e.reason.as_deref().is_some_and(|r| r.contains("cancelled"))
        })
        .map_or_else(
            || "no resource says why".to_string(),
            |e| {
                format!("{} ({}) {}: {}", e.logical, e.kind, e.status, e.reason.as_deref().unwrap_or("no reason given"))
            },
        )
}

async fn up(opts: &Up) -> Result<(), Failure> {
    let (_log_path, _log_guard) = crate::logging::init(None)?;
    let kit = &opts.kit;
    let tutor = Tutor::connect(opts.region.as_deref(), opts.profile.as_deref()).await?;
    let region = tutor.region().to_string();
    let mut interrupts = Interrupts::new()?;
    let total = kit.resources().len();
    let stack = match tutor.stack(&kit.stack).await? {
        None => {
            if let Some(vpc) = &kit.vpc {
                tutor.check_network(vpc, &kit.subnets).await?;
            }
            say(&format!("stack       {}: creating in {region} ({total} resources; a few minutes)", kit.stack));
            tutor.create_stack(kit, TEMPLATE).await?;
            follow(&tutor, &kit.stack, total, false, &mut interrupts).await?
        }
        Some(s) if !s.kit => {
            return Err(Failure::Usage(format!(
                "stack {} in {region} was not made by bluegreen tutorial up; nothing changed (hint: --stack another name)",
                s.name
            )));
        }
        Some(s) => {
            check_same(kit, &s)?;
            if s.in_progress() {
                say(&format!("stack       {}: {} already; following it", s.name, s.status));
                follow(&tutor, &kit.stack, total, s.status.starts_with("DELETE"), &mut interrupts).await?
            } else {
                Some(s)
            }
        }
    };
    let stack = match stack {
        Some(s) if s.created() => s,
        Some(s) => {
            let why = first_failure(&tutor, &s.name).await;
            return Err(Failure::Failed(format!(
                "stack {} is {}: {why} (hint: bluegreen tutorial down --stack {0} removes what was made; then up again)",
                s.name, s.status
            )));
        }
        None => {
            return Err(Failure::Failed(format!(
                "stack {} is gone (it was being deleted) (hint: run up again to create it)",
                kit.stack
            )));
        }
    };
    say(&format!("stack       {}: {} ({total} resources)", stack.name, stack.status));
    let outputs = Outputs::from_map(&stack.outputs).map_err(|missing| {
        Failure::Failed(format!(
            "stack {} gives no {missing} (hint: it was changed by hand; bluegreen tutorial down --stack {0}, then up again)",
            stack.name
        ))
    })?;

    let (application, group) = codedeploy(&tutor, kit, &outputs).await?;

    // Version 2, pushed as `bluegreen push` would.
    let dir =
        tempfile::tempdir().map_err(|e| Failure::Failed(format!("cannot make a directory for the bundle: {e}")))?;
    let next = (FIRST_VERSION + 1).to_string();
    tutorial::write_app(dir.path(), &next).map_err(Failure::Failed)?;
    let bundle = Bundle::make(dir.path(), &bundle::Options::default()).map_err(|p| Failure::Failed(p.0))?;
    let place = Place {
        bucket: outputs.bucket.clone(),
        key: super::push::key(Some("tutorial"), &application, bundle.short_sha()),
    };
    let pusher = tutor.pusher();
    let description = format!("the tutorial's application version {next}");
    let stored = deliver(&pusher, &application, &bundle, &place, &description, false, &mut interrupts, false).await?;
    say(&format!(
        "push        version {next}: {} {}, registered",
        location(&place),
        if stored.uploaded { "uploaded" } else { "there already" }
    ));

    if kit.workstation {
        workstation(&tutor, &outputs).await?;
    }

    let mut out = Out::new(std::io::stdout());
    let mut lines = vec![
        format!("url         {} (version {FIRST_VERSION}; the instances take a few minutes to boot)", outputs.url),
        format!("next        bluegreen --region {region} --app {application} --group {group}, then t for the tour"),
    ];
    if let Some(id) = &outputs.workstation {
        lines.push(format!("connect     aws ssm start-session --region {region} --target {id}"));
    }
    lines.push(format!(
        "new         bluegreen tutorial app DIR --version 3, then bluegreen push DIR --app {application} --bucket {}",
        outputs.bucket
    ));
    lines.push(format!("after       bluegreen tutorial down --region {region} --stack {} removes it all", kit.stack));
    out.lines(lines.iter().map(String::as_str))
}

/// The running binary, put in the bucket for the workstation to install.
async fn workstation(tutor: &Tutor, outputs: &Outputs) -> Result<(), Failure> {
    let exe = std::env::current_exe().map_err(|e| Failure::Failed(format!("cannot find this binary: {e}")))?;
    let bytes = std::fs::read(&exe).map_err(|e| Failure::Failed(format!("cannot read this binary: {e}")))?;
    let sha = bundle::hex(&Sha256::digest(&bytes));
    let size = bytes.len();
    let uploaded = tutor.put_binary(&outputs.bucket, BINARY_KEY, bytes, &sha).await?;
    say(&format!(
        "workstation {}: bluegreen {} s3://{}/{BINARY_KEY} ({:.1} MiB); it installs it in /usr/local/bin",
        outputs.workstation.as_deref().unwrap_or("?"),
        if uploaded { "put in" } else { "already in" },
        outputs.bucket,
        size as f64 / 1024.0 / 1024.0
    ));
    Ok(())
}

/// The application and the blue/green deployment group, made unless they
/// are there (and refused when what is there is not the kit's).
async fn codedeploy(tutor: &Tutor, kit: &Kit, outputs: &Outputs) -> Result<(String, String), Failure> {
    let region = tutor.region();
    let application = kit.application();
    match tutor.application(&application, &kit.stack, Some(&outputs.service_role)).await? {
        None => {
            tutor.create_application(&application, &kit.stack).await?;
            say(&format!("application {application}: created"));
        }
        Some(true) => say(&format!("application {application}: there already")),
        Some(false) => {
            return Err(Failure::Usage(format!(
                "application {application} in {region} is not the kit's (no {} tag); nothing changed (hint: --stack another name)",
                crate::cloud::aws::tutorial::TAG
            )));
        }
    }
    let group = kit.group();
    match tutor.group(&application, &group).await? {
        None => {
            tutor.create_group(kit, outputs).await?;
            let reroute = match kit.reroute {
                Reroute::Manual => format!("waits in Ready up to {READY_WAIT_MINUTES} minutes for p"),
                Reroute::Auto => "reroutes as soon as green is ready".into(),
            };
            say(&format!(
                "group       {group}: created: blue/green, copies {}, keeps the originals, {reroute}, rolls back on failure",
                outputs.autoscaling_group
            ));
        }
        Some(g) if g.service_role == outputs.service_role => say(&format!("group       {group}: there already")),
        Some(_) => {
            return Err(Failure::Usage(format!(
                "deployment group {group} is not the kit's (another service role); nothing changed (hint: --stack another name)"
            )));
        }
    }

    Ok((application, group))
}

/// An existing stack made with other options is not changed.
fn check_same(kit: &Kit, stack: &Stack) -> Result<(), Failure> {
    let differ: Vec<String> = kit
        .parameters()
        .into_iter()
        // The subnets follow the VPC (and a list comes back in more than one spelling).
        .filter(|(k, _)| *k != "SubnetIds")
        .filter(|(k, v)| stack.parameters.get(*k).is_some_and(|had| had != v))
        .map(|(k, v)| format!("{k} is {} (asked: {})", stack.parameters[k], if v.is_empty() { "none" } else { &v }))
        .collect();
    if differ.is_empty() {
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "stack {} exists with other options: {}; nothing changed (hint: the same options as before, or tutorial down first)",
        stack.name,
        differ.join(", ")
    )))
}

/// What `down` found, and will delete.
#[derive(Debug, Default)]
struct Plan {
    stack: Option<Stack>,
    resources: usize,
    group: Option<String>,
    copies: Vec<crate::cloud::aws::tutorial::Copy>,
    application: Option<String>,
    bucket: Option<(String, Vec<(String, String)>)>,
    /// What stays, and why.
    keep: Vec<String>,
}

impl Plan {
    fn is_empty(&self) -> bool {
        self.stack.is_none() && self.group.is_none() && self.copies.is_empty() && self.application.is_none()
    }

    fn lines(&self, region: &str, stack: &str) -> Vec<String> {
        let mut lines = vec![format!("bluegreen tutorial down: stack {stack} in {region}; this deletes:")];
        let application = tutorial::application(stack);
        if let Some(g) = &self.group {
            lines.push(format!("  deployment group  {g} (of application {application})"));
        }
        for c in &self.copies {
            lines.push(format!(
                "  Auto Scaling group {} and its {} instance(s) (made by CodeDeploy)",
                c.name, c.instances
            ));
        }
        if let Some(a) = &self.application {
            lines.push(format!("  application       {a} and its registered revisions"));
        }
        if let Some((bucket, versions)) = &self.bucket {
            lines.push(format!("  every object version in bucket {bucket} ({})", versions.len()));
        }
        if let Some(s) = &self.stack {
            lines.push(format!(
                "  stack             {} ({}) and its {} resources: the VPC, the load balancer, the Auto Scaling group and its instances, the bucket, the roles",
                s.name, s.status, self.resources
            ));
        }
        for k in &self.keep {
            lines.push(format!("  keeps             {k}"));
        }
        lines
    }
}

async fn survey(tutor: &Tutor, name: &str) -> Result<Plan, Failure> {
    let region = tutor.region();
    let mut plan = Plan::default();
    let stack = tutor.stack(name).await?;
    if let Some(s) = &stack {
        if !s.kit {
            return Err(Failure::Usage(format!(
                "stack {name} in {region} was not made by bluegreen tutorial up; nothing deleted (hint: delete it in CloudFormation, or --stack the kit's)"
            )));
        }
        if s.in_progress() && !s.status.starts_with("DELETE") {
            return Err(Failure::Usage(format!(
                "stack {name} is {}; nothing deleted (hint: let it end, or follow it with tutorial up, then down)",
                s.status
            )));
        }
    }
    let application = tutorial::application(name);
    let group = tutorial::group(name);
    let role = stack.as_ref().and_then(|s| s.outputs.get("ServiceRoleArn").cloned());
    let app = tutor.application(&application, name, role.as_deref()).await?;
    if let Some(g) = tutor.group(&application, &group).await? {
        if role.as_deref() == Some(g.service_role.as_str()) {
            let (deployments, active) = tutor.deployments(&application, &group).await?;
            if let Some(a) = active.first() {
                return Err(Failure::Usage(format!(
                    "deployment {} of {group} is {}; nothing deleted (hint: let it end, or stop it in the console with r, then down again)",
                    a.id, a.status
                )));
            }
            plan.copies = tutor.copies(&group, &deployments).await?;
            plan.group = Some(group.clone());
        } else {
            plan.keep
                .push(format!("deployment group {group}: its service role is not the stack's, so it is not the kit's"));
        }
    }
    match app {
        Some(true) => {
            let groups = tutor.groups(&application).await?;
            let others: Vec<String> = groups.iter().filter(|g| **g != group).cloned().collect();
            let ours_or_none = plan.group.is_some() || !groups.contains(&group);
            if others.is_empty() && ours_or_none {
                plan.application = Some(application.clone());
            } else {
                plan.keep.push(format!(
                    "application {application}: it has deployment groups that are not the kit's ({})",
                    crate::domain::some_of(
                        &groups.iter().filter(|g| plan.group.as_ref() != Some(*g)).cloned().collect::<Vec<_>>(),
                        4
                    )
                ));
            }
        }
        Some(false) => plan.keep.push(format!("application {application}: it is not tagged as the kit's")),
        None => {}
    }
    if let Some(s) = &stack
        && let Some(bucket) = s.outputs.get("Bucket")
        && let Some(versions) = tutor.versions(bucket).await?
    {
        plan.bucket = Some((bucket.clone(), versions));
    }
    plan.resources = stack.as_ref().map_or(0, |s| Kit::from_parameters(name, &s.parameters).resources().len());
    plan.stack = stack;
    Ok(plan)
}

/// Reads the confirmation: the stack's name typed back.
fn confirmed(stack: &str) -> bool {
    eprint!("Type the stack's name ({stack}) to delete all this; anything else cancels: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if !std::io::stdin().is_terminal() {
        // What was piped in is not echoed: end the prompt's line.
        eprintln!();
    }
    match read {
        Ok(n) if n > 0 => line.trim() == stack,
        _ => false,
    }
}

async fn down(opts: &Down) -> Result<(), Failure> {
    let (_log_path, _log_guard) = crate::logging::init(None)?;
    let name = &opts.stack;
    let tutor = Tutor::connect(opts.region.as_deref(), opts.profile.as_deref()).await?;
    let region = tutor.region().to_string();
    let plan = survey(&tutor, name).await?;
    let mut out = Out::new(std::io::stdout());
    if plan.is_empty() {
        return out
            .line(&format!("nothing to delete: no stack {name}, and no application or group of it, in {region}"));
    }
    for line in plan.lines(&region, name) {
        say(&line);
    }
    if !opts.yes && !confirmed(name) {
        return Err(Failure::Usage(format!("cancelled: nothing deleted (hint: type {name} when asked, or --yes)")));
    }
    let mut interrupts = Interrupts::new()?;
    let application = tutorial::application(name);
    if let Some(g) = &plan.group {
        tutor.delete_group(&application, g).await?;
        say(&format!("deleted     deployment group {g}"));
    }
    for c in &plan.copies {
        tutor.delete_autoscaling_group(&c.name).await?;
        say(&format!("deleting    {} and its {} instance(s)", c.name, c.instances));
    }
    let started = Instant::now();
    for c in &plan.copies {
        while tutor.autoscaling_group_exists(&c.name).await? {
            if started.elapsed() > PATIENCE {
                return Err(Failure::TimedOut(format!(
                    "{} is still being deleted after an hour (hint: run down again)",
                    c.name
                )));
            }
            tokio::select! {
                () = tokio::time::sleep(EVERY) => {}
                failure = interrupts.recv() => {
                    say(&format!("bluegreen: interrupted: {} goes on being deleted (hint: run down again to finish)", c.name));
                    return Err(failure);
                }
            }
        }
        say(&format!("deleted     {} ({})", c.name, elapsed(started.elapsed())));
    }
    if let Some(a) = &plan.application {
        tutor.delete_application(a).await?;
        say(&format!("deleted     application {a}"));
    }
    if let Some((bucket, versions)) = &plan.bucket {
        // Anything written since the plan was read goes too: the bucket is the kit's.
        let now = tutor.versions(bucket).await?.unwrap_or_default();
        tutor.delete_versions(bucket, &now).await?;
        say(&format!("emptied     bucket {bucket} ({} object version(s); {} when planned)", now.len(), versions.len()));
    }
    if let Some(s) = &plan.stack {
        if !s.status.starts_with("DELETE_IN") {
            tutor.delete_stack(name).await?;
        }
        say(&format!("deleting    stack {name}"));
        match follow(&tutor, name, plan.resources, true, &mut interrupts).await? {
            Some(s) if s.status != "DELETE_COMPLETE" => {
                let why = first_failure(&tutor, name).await;
                return Err(Failure::Failed(format!(
                    "stack {name} is {}: {why} (hint: run down again; it goes on where it stopped)",
                    s.status
                )));
            }
            _ => say(&format!("deleted     stack {name}")),
        }
    }
    out.line(&format!("nothing is left of the tutorial's stack {name} in {region}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_checks_its_options_before_anything_is_sent() {
        let ok = Kit { stack: "s".into(), ..Kit::default() };
        assert!(check_up(&ok).is_ok());
        let ssh = |cidr: &str| Kit {
            workstation: true,
            key_name: Some("k".into()),
            ssh_from: Some(cidr.into()),
            ..ok.clone()
        };
        let cases = [
            (Kit { vpc: Some("vpc-1".into()), ..ok.clone() }, "--vpc needs --subnets"),
            (
                Kit { vpc: Some("vpc-1".into()), subnets: vec!["subnet-1".into()], ..ok.clone() },
                "--vpc needs --subnets",
            ),
            (
                Kit { vpc: Some("x".into()), subnets: vec!["subnet-1".into(), "subnet-2".into()], ..ok.clone() },
                "--vpc x is not a VPC id",
            ),
            (Kit { subnets: vec!["subnet-1".into()], ..ok.clone() }, "--subnets needs --vpc"),
            (
                Kit { vpc: Some("vpc-1".into()), subnets: vec!["subnet-1".into(), "sg-2".into()], ..ok.clone() },
                "sg-2 is not a subnet id",
            ),
            (Kit { workstation: true, key_name: Some("k".into()), ..ok.clone() }, "go together"),
            (
                Kit { key_name: Some("k".into()), ssh_from: Some("1.2.3.4/32".into()), ..ok.clone() },
                "add --workstation",
            ),
            (ssh("1.2.3.4"), "not an IPv4 CIDR block"),
            (ssh("1.2.3.4/33"), "not an IPv4 CIDR block"),
            (ssh("1.2.3/32"), "not an IPv4 CIDR block"),
            (Kit { stack: "no spaces".into(), ..ok.clone() }, "is not a stack name"),
        ];
        for (kit, says) in cases {
            match check_up(&kit) {
                Err(Failure::Usage(line)) => assert!(line.contains(says) && line.contains("hint"), "{says}: {line}"),
                other => panic!("{kit:?}: {other:?}"),
            }
        }
        let three = Kit {
            vpc: Some("vpc-1".into()),
            subnets: vec!["subnet-1".into(), "subnet-2".into(), "subnet-3".into()],
            ..ok.clone()
        };
        assert!(check_up(&three).is_ok());
        let given = Kit {
            vpc: Some("vpc-1".into()),
            subnets: vec!["subnet-1".into(), "subnet-2".into()],
            workstation: true,
            key_name: Some("k".into()),
            ssh_from: Some("203.0.113.7/32".into()),
            ..ok
        };
        assert!(check_up(&given).is_ok());
    }

    #[test]
    fn an_existing_stack_with_other_options_is_named() {
        let kit = Kit { stack: "s".into(), ..Kit::default() };
        let mut stack = Stack { name: "s".into(), ..Stack::default() };
        stack.parameters = kit.parameters().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        assert!(check_same(&kit, &stack).is_ok());
        stack.parameters.insert("LoadBalancerType".into(), "classic".into());
        let err = check_same(&kit, &stack).unwrap_err().to_string();
        assert!(err.contains("LoadBalancerType is classic (asked: application)"), "{err}");
    }

    #[test]
    fn elapsed_times() {
        assert_eq!(elapsed(Duration::from_secs(7)), "7s");
        assert_eq!(elapsed(Duration::from_secs(59)), "59s");
        assert_eq!(elapsed(Duration::from_secs(60)), "1m00s");
        assert_eq!(elapsed(Duration::from_secs(65)), "1m05s");
    }
}
