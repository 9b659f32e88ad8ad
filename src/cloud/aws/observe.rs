//! One observation of a deployment group, as a fixed set of calls issued
//! concurrently in rounds (each round needs the names the one before it
//! found), whatever the number of instances:
//!
//! ```text
//! 1  GetDeploymentGroup · ListDeployments (active)
//!    · DescribeTargetHealth per target group (or DescribeInstanceHealth per classic load balancer)
//!    [+ the leftovers scan and the revisions, on the slow cadence]
//! 2  BatchGetDeployments (active, latest; not the ended ones already read)
//!    · ListDeploymentTargets (while active; an ended deployment's once)
//! 3  DescribeAutoScalingGroups (all tracked groups in one call)
//!    · BatchGetDeploymentTargets (25 a call)
//! 4  DescribeInstances (only instances not seen before: addresses never change)
//! ```
//!
//! Ended deployments never change, so one read (with their targets) is
//! kept; leftover copies (`CodeDeploy_<group>_…`) and registered revisions
//! are read on a slow cadence.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{ApplicationRevisionSortBy, DeploymentInfo, DeploymentStatus as CdStatus, SortOrder};
use futures::future::try_join_all;

use super::clients::Clients;
use super::discover::Balancer;
use super::errors::api_error;
use super::map::{self, Placement, text};
use crate::cloud::ApiError;
use crate::domain::{
    Deployment, Environment, Hook, LoadBalancer, Observation, Revision, Stored, Target, TargetHealth, TargetLabel,
    TargetState, clean,
};

/// How often the slow reads are made.
const SLOW_EVERY: Duration = Duration::from_secs(60);
/// Ended deployments kept, with their targets.
const KEEP_ENDED: usize = 20;
/// Revisions listed, newest first.
const REVISIONS: usize = 20;
/// Earlier deployments whose groups are read from the history.
const HISTORY: usize = 10;
/// The newest revisions whose bundles are checked in S3.
const BUNDLES: usize = 5;

/// What one look remembers for the next.
#[derive(Debug, Default)]
pub struct Memory {
    /// Ended deployments already read whole (they do not change).
    ended: VecDeque<Deployment>,
    /// A deployment's original group, as first seen (AWS does not record it).
    originals: HashMap<String, String>,
    /// `CodeDeploy_<group>_…` groups found by the slow scan.
    leftovers: Vec<String>,
    /// Every group a look has found: followed until a read says it is gone
    /// (so a group is never called deleted while it exists).
    followed: Vec<String>,
    /// The groups of this deployment group's earlier deployments (their
    /// originals and replacements), read once from its history.
    history: HashMap<String, Vec<String>>,
    leftovers_at: Option<Instant>,
    revisions: Vec<Revision>,
    revisions_at: Option<Instant>,
    /// Instances' addresses and zones (they never change while an
    /// instance lives): EC2 is asked only about instances not seen yet.
    placements: HashMap<String, Placement>,
}

impl Memory {
    fn ended(&self, id: &str) -> Option<&Deployment> {
        self.ended.iter().find(|d| d.id == id)
    }

    fn keep(&mut self, d: Deployment) {
        if self.ended(&d.id).is_none() {
            self.ended.push_back(d);
            while self.ended.len() > KEEP_ENDED {
                self.ended.pop_front();
            }
        }
    }

    fn due(at: Option<Instant>) -> bool {
        at.is_none_or(|t| t.elapsed() >= SLOW_EVERY)
    }
}

/// Which group and load balancer to look at.
#[derive(Debug, Clone)]
pub struct Subject {
    pub application: String,
    pub group: String,
    pub region: String,
    pub balancer: Balancer,
}

pub(super) const ACTIVE: [CdStatus; 5] =
    [CdStatus::Created, CdStatus::Queued, CdStatus::InProgress, CdStatus::Baking, CdStatus::Ready];

/// Looks at the deployment group once.
pub async fn observe(c: &Clients, s: &Subject, memory: &mut Memory) -> Result<Observation, ApiError> {
    let at = crate::domain::At(
        u64::try_from(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis(),
        )
        .unwrap_or(0),
    );
    let (group, active_ids, last_attempted, health) = Box::pin(round_one(c, s, memory)).await?;
    let (infos, target_ids) = round_two(c, memory, &group, &active_ids, last_attempted.as_deref()).await?;
    let names = names(s, memory, &infos);
    let mut asg_names: Vec<String> = group.autoscaling_groups.clone();
    asg_names.extend(memory.leftovers.iter().cloned());
    asg_names.extend(memory.followed.iter().cloned());
    asg_names.extend(memory.history.values().flatten().cloned());
    asg_names.extend(names.iter().flat_map(|(_, o, r)| o.iter().chain(r.iter()).cloned()));
    // The groups of the deployments already read whole that the panels
    // still follow: the last one, and the one it rolled back.
    let last = last_attempted.as_deref().and_then(|id| memory.ended(id));
    let trigger =
        last.and_then(|d| d.rollback.as_ref()?.triggering_deployment_id.as_deref()).and_then(|t| memory.ended(t));
    for d in last.into_iter().chain(trigger) {
        asg_names.extend(d.original_asg.iter().chain(d.replacement_asg.iter()).cloned());
    }
    asg_names.sort();
    asg_names.dedup();

    // Round 3: the groups, and the targets of the deployments read.
    let ids: Vec<String> = infos.iter().map(|i| text(i.deployment_id())).collect();
    let no_targets = Vec::new();
    let (groups, targets) = tokio::try_join!(
        describe_groups(c, &asg_names),
        try_join_all(ids.iter().map(|id| get_targets(c, id, target_ids.get(id).unwrap_or(&no_targets)))),
    )?;
    // Round 4: the addresses of instances not seen before.
    let instance_ids: Vec<String> = groups
        .iter()
        .flat_map(aws_sdk_autoscaling::types::AutoScalingGroup::instances)
        .filter_map(|i| i.instance_id())
        .map(|i| text(Some(i)))
        .collect();
    memory.followed = groups.iter().map(|g| text(g.auto_scaling_group_name())).collect();
    let found: Vec<&String> = memory.followed.iter().collect();
    for names in memory.history.values_mut() {
        names.retain(|n| found.contains(&n));
    }
    let unknown: Vec<String> = instance_ids.iter().filter(|i| !memory.placements.contains_key(*i)).cloned().collect();
    let found = placements(c, &unknown).await?;
    memory.placements.extend(found);
    memory.placements.retain(|id, _| instance_ids.contains(id));

    let mut active = Vec::new();
    for ((info, targets), (_, original, replacement)) in infos.iter().zip(targets).zip(names) {
        // Never seen active: the original is the group holding its Blue instances.
        let original = original.or_else(|| owner_of_blue(&groups, &targets));
        let d = map::deployment(info, original, replacement, targets);
        if d.is_active() { active.push(d) } else { memory.keep(d) }
    }
    active.sort_by_key(|d| std::cmp::Reverse(d.created_at));
    let active = active.into_iter().next();
    let last = last_attempted.as_ref().and_then(|id| memory.ended(id).cloned());
    let latest = active.as_ref().or(last.as_ref());
    let rolled_back = latest
        .and_then(|d| d.rollback.as_ref()?.triggering_deployment_id.clone())
        .and_then(|t| memory.ended(&t).cloned());
    let versions = versions(latest, rolled_back.as_ref());
    let environments: Vec<Environment> =
        groups.iter().map(|g| map::environment(g, &health, &memory.placements, &versions)).collect();
    let b = &s.balancer;
    Ok(Observation {
        at,
        region: s.region.clone(),
        group,
        environments,
        active,
        last,
        rolled_back,
        revisions: memory.revisions.clone(),
        load_balancer: LoadBalancer {
            kind: b.kind.clone(),
            name: b.name.clone(),
            target_group: b.target_groups.first().map(|(n, _)| n.clone()),
            target_group_arn: b.target_groups.first().map(|(_, a)| a.clone()),
            url: b.url.clone(),
        },
    })
}

/// What round 1 finds.
type RoundOne = (crate::domain::DeploymentGroup, Vec<String>, Option<String>, HashMap<String, TargetHealth>);

/// Round 1: the group, the active deployments' ids, the load balancer's
/// view of its targets, and on the slow cadence the leftover copies and
/// the revisions.
async fn round_one(c: &Clients, s: &Subject, memory: &mut Memory) -> Result<RoundOne, ApiError> {
    let scan_leftovers = Memory::due(memory.leftovers_at);
    let read_revisions = Memory::due(memory.revisions_at);
    let known: Vec<String> = memory.history.keys().cloned().collect();
    let (group, active_ids, health, leftovers, revisions) = tokio::try_join!(
        get_group(c, s),
        active_deployments(c, s),
        target_health(c, &s.balancer),
        async {
            if scan_leftovers {
                let (l, h) = tokio::try_join!(leftover_groups(c, s), Box::pin(history(c, s, &known)))?;
                Ok(Some((l, h)))
            } else {
                Ok(None)
            }
        },
        async { if read_revisions { revisions(c, s).await.map(Some) } else { Ok(None) } },
    )?;
    if let Some((l, h)) = leftovers {
        memory.leftovers = l;
        memory.leftovers_at = Some(Instant::now());
        memory.history.extend(h);
    }
    if let Some(r) = revisions {
        memory.revisions = r;
        memory.revisions_at = Some(Instant::now());
    }
    let last = group.last_attempted_deployment().and_then(|d| d.deployment_id()).map(|d| text(Some(d)));
    Ok((map::group(&group, &s.application, &s.group), active_ids, last, health))
}

/// Round 2: the deployments not read whole yet (and, once, the one the
/// latest rolls back), with their targets' ids.
async fn round_two(
    c: &Clients,
    memory: &mut Memory,
    group: &crate::domain::DeploymentGroup,
    active_ids: &[String],
    last_attempted: Option<&str>,
) -> Result<(Vec<DeploymentInfo>, HashMap<String, Vec<String>>), ApiError> {
    let mut wanted: Vec<String> = active_ids.to_vec();
    wanted.extend(last_attempted.map(String::from));
    wanted.retain(|id| memory.ended(id).is_none());
    wanted.dedup();
    let (mut infos, lists) =
        tokio::try_join!(deployments(c, &wanted), try_join_all(wanted.iter().map(|id| list_targets(c, id))))?;
    let mut target_ids: HashMap<String, Vec<String>> = wanted.into_iter().zip(lists).collect();
    let latest = active_ids.first().map(String::as_str).or(last_attempted);
    let trigger = latest
        .and_then(|id| infos.iter().find(|i| i.deployment_id() == Some(id)))
        .and_then(rollback_of)
        .filter(|t| memory.ended(t).is_none());
    if let Some(t) = trigger {
        let (info, ids) = tokio::try_join!(deployments(c, std::slice::from_ref(&t)), list_targets(c, &t))?;
        infos.extend(info);
        target_ids.insert(t, ids);
    }
    // An active deployment's original group is the group's own while it runs.
    for info in &infos {
        let active = info.status().is_some_and(|st| ACTIVE.contains(st));
        let id = text(info.deployment_id());
        if let (true, Some(first)) = (active, group.autoscaling_groups.first()) {
            memory.originals.entry(id).or_insert_with(|| first.clone());
        }
    }
    Ok((infos, target_ids))
}

fn rollback_of(info: &DeploymentInfo) -> Option<String> {
    info.rollback_info().and_then(|r| r.rollback_triggering_deployment_id()).map(|t| text(Some(t)))
}

/// Each deployment's original and replacement groups: as first seen,
/// from `targetInstances`, by the copy's name; a rollback moves traffic
/// between its trigger's groups.
fn names(s: &Subject, memory: &Memory, infos: &[DeploymentInfo]) -> Vec<(String, Option<String>, Option<String>)> {
    let own = |id: &str, info: Option<&DeploymentInfo>| {
        let original =
            memory.originals.get(id).cloned().or_else(|| memory.ended(id).and_then(|d| d.original_asg.clone()));
        let replacement = info
            .and_then(DeploymentInfo::target_instances)
            .and_then(|t| t.auto_scaling_groups().first())
            .map(|n| text(Some(n)))
            .or_else(|| memory.ended(id).and_then(|d| d.replacement_asg.clone()))
            .or_else(|| copy_named(&memory.leftovers, &s.group, id));
        (original, replacement)
    };
    infos
        .iter()
        .map(|info| {
            let id = text(info.deployment_id());
            let (mut original, mut replacement) = own(&id, Some(info));
            if let Some(t) = rollback_of(info) {
                let trigger = infos.iter().find(|i| i.deployment_id() == Some(t.as_str()));
                let (o, r) = own(&t, trigger);
                original = original.or(o);
                replacement = replacement.or(r);
            }
            (id, original, replacement)
        })
        .collect()
}

/// `CodeDeploy_<group>_<id>` among the leftovers, whatever CodeDeploy did
/// to the id's dash.
fn copy_named(leftovers: &[String], group: &str, id: &str) -> Option<String> {
    let prefix = format!("CodeDeploy_{group}_");
    let bare = id.trim_start_matches("d-").trim_start_matches("d_");
    leftovers.iter().find(|n| n.starts_with(&prefix) && n.ends_with(bare)).cloned()
}

/// The group that holds a deployment's Blue instances.
fn owner_of_blue(groups: &[aws_sdk_autoscaling::types::AutoScalingGroup], targets: &[Target]) -> Option<String> {
    let blue: Vec<&str> =
        targets.iter().filter(|t| t.label == TargetLabel::Blue).map(|t| t.instance_id.as_str()).collect();
    groups
        .iter()
        .find(|g| g.instances().iter().any(|i| i.instance_id().is_some_and(|id| blue.contains(&id))))
        .map(|g| text(g.auto_scaling_group_name()))
}

/// Which revision each instance runs, as far as the deployments tell:
/// a green target that installed runs the deployment's revision, a blue one
/// the revision before it.
fn versions(latest: Option<&Deployment>, rolled_back: Option<&Deployment>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for d in rolled_back.into_iter().chain(latest) {
        for t in &d.targets {
            let installed = t.event(&Hook::Install).is_some_and(|e| e.status == crate::domain::EventStatus::Succeeded);
            let version = match t.label {
                TargetLabel::Green if installed => d.revision.clone(),
                TargetLabel::Blue if !d.is_rollback() => d.previous_revision.clone(),
                _ => None,
            };
            if let Some(v) = version {
                out.insert(t.instance_id.clone(), v);
            }
        }
    }
    out
}

async fn get_group(c: &Clients, s: &Subject) -> Result<aws_sdk_codedeploy::types::DeploymentGroupInfo, ApiError> {
    let out = c
        .codedeploy
        .get_deployment_group()
        .application_name(&s.application)
        .deployment_group_name(&s.group)
        .send()
        .await
        .map_err(|e| api_error("GetDeploymentGroup", &e))?;
    out.deployment_group_info()
        .cloned()
        .ok_or_else(|| ApiError::new("EmptyAnswer", "GetDeploymentGroup: no deployment group in the answer"))
}

async fn active_deployments(c: &Clients, s: &Subject) -> Result<Vec<String>, ApiError> {
    let out = c
        .codedeploy
        .list_deployments()
        .application_name(&s.application)
        .deployment_group_name(&s.group)
        .set_include_only_statuses(Some(ACTIVE.to_vec()))
        .send()
        .await
        .map_err(|e| api_error("ListDeployments", &e))?;
    Ok(out.deployments().iter().map(|d| text(Some(d))).collect())
}

async fn deployments(c: &Clients, ids: &[String]) -> Result<Vec<DeploymentInfo>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut all = Vec::new();
    for chunk in ids.chunks(25) {
        let out = c
            .codedeploy
            .batch_get_deployments()
            .set_deployment_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| api_error("BatchGetDeployments", &e))?;
        all.extend(out.deployments_info().iter().cloned());
    }
    Ok(all)
}

async fn list_targets(c: &Clients, id: &str) -> Result<Vec<String>, ApiError> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = c.codedeploy.list_deployment_targets().deployment_id(id).set_next_token(token.take()).send().await;
        match page {
            Ok(page) => {
                ids.extend(page.target_ids().iter().map(|t| text(Some(t))));
                match page.next_token() {
                    Some(next) if !next.is_empty() => token = Some(next.to_string()),
                    _ => break,
                }
            }
            // Polled before the deployment started: no targets yet.
            Err(e) if e.as_service_error().is_some_and(aws_sdk_codedeploy::operation::list_deployment_targets::ListDeploymentTargetsError::is_deployment_not_started_exception) => break,
            Err(e) => return Err(api_error("ListDeploymentTargets", &e)),
        }
    }
    Ok(ids)
}

async fn get_targets(c: &Clients, id: &str, target_ids: &[String]) -> Result<Vec<Target>, ApiError> {
    let calls = target_ids.chunks(25).map(|chunk| async move {
        c.codedeploy
            .batch_get_deployment_targets()
            .deployment_id(id)
            .set_target_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| api_error("BatchGetDeploymentTargets", &e))
    });
    let pages = try_join_all(calls).await?;
    Ok(pages.iter().flat_map(aws_sdk_codedeploy::operation::batch_get_deployment_targets::BatchGetDeploymentTargetsOutput::deployment_targets).filter_map(map::target).collect())
}

async fn revisions(c: &Clients, s: &Subject) -> Result<Vec<Revision>, ApiError> {
    let out = c
        .codedeploy
        .list_application_revisions()
        .application_name(&s.application)
        .sort_by(ApplicationRevisionSortBy::RegisterTime)
        .sort_order(SortOrder::Descending)
        .send()
        .await
        .map_err(|e| api_error("ListApplicationRevisions", &e))?;
    let locations: Vec<_> =
        out.revisions().iter().filter(|r| r.s3_location().is_some()).take(REVISIONS).cloned().collect();
    if locations.is_empty() {
        return Ok(Vec::new());
    }
    // Each revision's description and registration time, for the picker.
    let info = c
        .codedeploy
        .batch_get_application_revisions()
        .application_name(&s.application)
        .set_revisions(Some(locations.clone()))
        .send()
        .await
        .map_err(|e| api_error("BatchGetApplicationRevisions", &e))?;
    let mut revisions: Vec<Revision> = locations
        .iter()
        .filter_map(|loc| {
            let generic = info
                .revisions()
                .iter()
                .find(|i| i.revision_location() == Some(loc))
                .and_then(|i| i.generic_revision_info());
            let mut r = map::revision(loc, generic.and_then(|g| map::at(g.register_time())))?;
            r.description = generic.and_then(|g| g.description()).map(|d| clean(d, 200)).filter(|d| !d.is_empty());
            Some(r)
        })
        .collect();
    // Newest first, whatever order the listing had.
    revisions.sort_by_key(|r| std::cmp::Reverse(r.registered_at));
    let n = revisions.len().min(BUNDLES);
    let found = futures::future::join_all(revisions[..n].iter().map(|r| stored(c, r))).await;
    for (r, found) in revisions.iter_mut().zip(found) {
        r.stored = found;
    }
    Ok(revisions)
}

/// What S3 holds at a revision's location, against its registration: a
/// registered version that still exists is the same object; else the
/// ETag tells. One HeadObject; a refusal or an error tells nothing.
async fn stored(c: &Clients, r: &Revision) -> Stored {
    let head = c.s3.head_object().bucket(&r.bucket).key(&r.key).set_version_id(r.version.clone()).send().await;
    match head {
        Ok(_) if r.version.is_some() => Stored::Same,
        Ok(h) => match (h.e_tag().map(|e| clean(e.trim_matches('"'), 128)), r.etag.as_deref()) {
            (Some(now), Some(registered)) if now != registered => Stored::Overwritten { etag: now },
            (Some(_), Some(_)) => Stored::Same,
            _ => Stored::Unchecked,
        },
        Err(e) => {
            let e = api_error("HeadObject", &e);
            if matches!(e.code.as_str(), "NotFound" | "NoSuchKey" | "NoSuchVersion") {
                Stored::Missing
            } else {
                tracing::warn!(bucket = %r.bucket, key = %r.key, error = %e, "cannot check a revision's bundle");
                Stored::Unchecked
            }
        }
    }
}

/// Every group named `CodeDeploy_<group>_…` (a full listing, paginated:
/// Auto Scaling cannot filter by a name's prefix).
async fn leftover_groups(c: &Clients, s: &Subject) -> Result<Vec<String>, ApiError> {
    let prefix = format!("CodeDeploy_{}_", s.group);
    let mut names = Vec::new();
    let mut pages = c.autoscaling.describe_auto_scaling_groups().max_records(100).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("DescribeAutoScalingGroups", &e))?;
        names.extend(
            page.auto_scaling_groups()
                .iter()
                .filter_map(|g| g.auto_scaling_group_name())
                .filter(|n| n.starts_with(&prefix))
                .map(|n| text(Some(n))),
        );
    }
    Ok(names)
}

/// The groups of the deployment group's earlier deployments not read yet
/// (the newest [`HISTORY`] that have ended): each one's replacement, and
/// its original, found as the group that holds its Blue instances. Once
/// per deployment: an ended deployment does not change.
async fn history(c: &Clients, s: &Subject, known: &[String]) -> Result<HashMap<String, Vec<String>>, ApiError> {
    let out = c
        .codedeploy
        .list_deployments()
        .application_name(&s.application)
        .deployment_group_name(&s.group)
        .set_include_only_statuses(Some(vec![CdStatus::Succeeded, CdStatus::Failed, CdStatus::Stopped]))
        .send()
        .await
        .map_err(|e| api_error("ListDeployments", &e))?;
    let ids: Vec<String> =
        out.deployments().iter().map(|d| text(Some(d))).filter(|d| !known.contains(d)).take(HISTORY).collect();
    let infos = deployments(c, &ids).await?;
    let targets = try_join_all(ids.iter().map(|id| async move {
        let t = list_targets(c, id).await?;
        get_targets(c, id, &t).await
    }))
    .await?;
    let blue: Vec<String> =
        targets.iter().flatten().filter(|t| t.label == TargetLabel::Blue).map(|t| t.instance_id.clone()).collect();
    let owners = owners(c, &blue).await?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (id, targets) in ids.iter().zip(&targets) {
        let mut names: Vec<String> = targets
            .iter()
            .filter(|t| t.label == TargetLabel::Blue)
            .filter_map(|t| owners.get(&t.instance_id).cloned())
            .collect();
        let info = infos.iter().find(|i| i.deployment_id() == Some(id.as_str()));
        names.extend(
            info.and_then(DeploymentInfo::target_instances)
                .map(|t| t.auto_scaling_groups().iter().map(|n| text(Some(n))).collect::<Vec<_>>())
                .unwrap_or_default(),
        );
        names.sort();
        names.dedup();
        out.insert(id.clone(), names);
    }
    Ok(out)
}

/// The Auto Scaling group of each instance that still is in one.
async fn owners(c: &Clients, instance_ids: &[String]) -> Result<HashMap<String, String>, ApiError> {
    let calls = instance_ids.chunks(50).map(|chunk| async move {
        c.autoscaling
            .describe_auto_scaling_instances()
            .set_instance_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| api_error("DescribeAutoScalingInstances", &e))
    });
    let mut out = HashMap::new();
    for page in try_join_all(calls).await? {
        for i in page.auto_scaling_instances() {
            out.insert(text(i.instance_id()), text(i.auto_scaling_group_name()));
        }
    }
    Ok(out)
}

async fn describe_groups(
    c: &Clients,
    names: &[String],
) -> Result<Vec<aws_sdk_autoscaling::types::AutoScalingGroup>, ApiError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut groups = Vec::new();
    let mut pages = c
        .autoscaling
        .describe_auto_scaling_groups()
        .set_auto_scaling_group_names(Some(names.to_vec()))
        .max_records(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("DescribeAutoScalingGroups", &e))?;
        groups.extend(page.auto_scaling_groups().iter().cloned());
    }
    Ok(groups)
}

/// Target health by instance id, from every target group (or classic load balancer).
async fn target_health(c: &Clients, b: &Balancer) -> Result<HashMap<String, TargetHealth>, ApiError> {
    let tgs = b.target_groups.iter().map(|(_, arn)| async move {
        let out = c
            .elbv2
            .describe_target_health()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(|e| api_error("DescribeTargetHealth", &e))?;
        Ok::<_, ApiError>(
            out.target_health_descriptions()
                .iter()
                .filter_map(|d| {
                    let id = text(d.target().and_then(|t| t.id()));
                    let h = d.target_health()?;
                    let state =
                        h.state().map_or(TargetState::Unknown("missing".into()), |s| TargetState::parse(s.as_str()));
                    let reason = h.reason().map(|r| crate::domain::clean(r.as_str(), 64));
                    Some((id, TargetHealth { state, reason }))
                })
                .collect::<Vec<_>>(),
        )
    });
    let classic = b.classic.iter().map(|name| async move {
        let out = c
            .elb
            .describe_instance_health()
            .load_balancer_name(name)
            .send()
            .await
            .map_err(|e| api_error("DescribeInstanceHealth", &e))?;
        Ok::<_, ApiError>(
            out.instance_states()
                .iter()
                .map(|i| {
                    // InService / OutOfService / Unknown, in ELBv2's words.
                    let state = match i.state() {
                        Some("InService") => TargetState::Healthy,
                        Some("OutOfService") => TargetState::Unhealthy,
                        Some(other) => TargetState::Unknown(crate::domain::clean(other, 32)),
                        None => TargetState::Unknown("missing".into()),
                    };
                    let reason = i.reason_code().filter(|r| *r != "N/A").map(|r| crate::domain::clean(r, 64));
                    (text(i.instance_id()), TargetHealth { state, reason })
                })
                .collect::<Vec<_>>(),
        )
    });
    let (a, b) = tokio::try_join!(try_join_all(tgs), try_join_all(classic))?;
    Ok(a.into_iter().chain(b).flatten().collect())
}

/// Private address and zone of each instance, in one call.
async fn placements(c: &Clients, ids: &[String]) -> Result<HashMap<String, Placement>, ApiError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    let mut pages = c.ec2.describe_instances().set_instance_ids(Some(ids.to_vec())).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            // An instance that just went away: addresses are a nicety, not worth failing the look.
            Err(e)
                if e.as_service_error().and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::code)
                    == Some("InvalidInstanceID.NotFound") =>
            {
                break;
            }
            Err(e) => return Err(api_error("DescribeInstances", &e)),
        };
        for i in page.reservations().iter().flat_map(aws_sdk_ec2::types::Reservation::instances) {
            out.insert(
                text(i.instance_id()),
                Placement {
                    private_ip: i.private_ip_address().map(|p| text(Some(p))),
                    zone: i.placement().and_then(|p| p.availability_zone()).map(|z| text(Some(z))),
                },
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_found_by_its_prefix_and_id() {
        let left = vec!["CodeDeploy_dg_d-ABC123XYZ".to_string(), "CodeDeploy_dg_d_QQQ".to_string()];
        assert_eq!(copy_named(&left, "dg", "d-ABC123XYZ").as_deref(), Some("CodeDeploy_dg_d-ABC123XYZ"));
        assert_eq!(copy_named(&left, "dg", "d-QQQ").as_deref(), Some("CodeDeploy_dg_d_QQQ"));
        assert_eq!(copy_named(&left, "other", "d-QQQ"), None);
    }
}
