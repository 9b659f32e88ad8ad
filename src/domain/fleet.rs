//! Every deployment group of a region in one table, as `bluegreen fleet`
//! and `status --all` read it: what each group is (its style, Auto Scaling
//! groups, load balancer), its latest deployment, what that waits for, the
//! copies CodeDeploy left behind that no group uses, and whether it needs
//! a release manager's attention. Three reads make it, each on its own
//! cadence: the groups (with their latest attempted deployment), the
//! region's active deployments, and the `CodeDeploy_*` Auto Scaling groups.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use super::{At, Deployment, DeploymentStatus, LoadBalancerKind, Wait};

/// How a deployment group deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Style {
    /// Blue/green, the replacement a copy of the Auto Scaling group.
    Copy,
    /// Blue/green onto instances that exist or are made by hand.
    Discover,
    InPlace,
}

impl Style {
    /// The table's word.
    pub fn word(self) -> &'static str {
        match self {
            Self::Copy => "b/g copy",
            Self::Discover => "b/g discover",
            Self::InPlace => "in-place",
        }
    }

    /// The JSON's word.
    pub fn key(self) -> &'static str {
        match self {
            Self::Copy => "blue_green_copy",
            Self::Discover => "blue_green_discover",
            Self::InPlace => "in_place",
        }
    }

    pub fn is_blue_green(self) -> bool {
        self != Self::InPlace
    }
}

/// A deployment as a group's summary names it (`lastAttemptedDeployment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    pub id: String,
    pub status: DeploymentStatus,
    pub created: Option<At>,
    pub ended: Option<At>,
}

/// One deployment group, as `BatchGetDeploymentGroups` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetGroup {
    pub application: String,
    pub name: String,
    pub style: Style,
    pub asgs: Vec<String>,
    /// The load balancer's kind and the names the group gives (target
    /// groups, or classic load balancers); `None` without one.
    pub balancer: Option<(LoadBalancerKind, Vec<String>)>,
    pub latest: Option<Latest>,
}

/// A deployment read in the round of active deployments, with its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Active {
    pub application: String,
    pub group: String,
    pub deployment: Deployment,
}

/// Why a row needs a release manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Attention {
    Failed,
    Stopped,
    /// Ready: green waits for a reroute.
    Ready,
    /// The originals wait to be terminated (a reattach is still possible).
    Terminating,
    /// Copies no group uses.
    Leftovers(usize),
}

impl Attention {
    pub fn word(self) -> String {
        match self {
            Self::Failed => "failed".into(),
            Self::Stopped => "stopped".into(),
            Self::Ready => "ready".into(),
            Self::Terminating => "terminating".into(),
            Self::Leftovers(1) => "1 leftover".into(),
            Self::Leftovers(n) => format!("{n} leftovers"),
        }
    }
}

/// What an active deployment waits for, as far as its summary tells: a
/// Ready deployment's window is counted from its start (the install ends
/// later), so the time left is at least what is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waits {
    /// Ready until at least `until` (or for the reroute, without a
    /// timeout), then stops or reroutes by itself.
    Reroute { at_least_until: Option<At>, stops: bool },
    /// The originals wait for their termination.
    Termination,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub application: String,
    pub group: String,
    pub style: Style,
    pub asgs: Vec<String>,
    pub balancer: Option<(LoadBalancerKind, Vec<String>)>,
    /// The latest deployment: id, status, created, ended.
    pub latest: Option<Latest>,
    /// Whether the latest deployment is read each few seconds (it is active).
    pub active: bool,
    pub waits: Option<Waits>,
    pub leftovers: Vec<String>,
    pub attention: Vec<Attention>,
}

impl Row {
    /// The load balancer as the table shows it: `tg/NAME`, `clb/NAME`.
    pub fn balancer_text(&self) -> String {
        match &self.balancer {
            None => String::new(),
            Some((kind, names)) => {
                let prefix = if *kind == LoadBalancerKind::Classic { "clb" } else { "tg" };
                names.iter().map(|n| format!("{prefix}/{n}")).collect::<Vec<_>>().join(",")
            }
        }
    }

    /// What the latest deployment waits for, in words: `reroute ≥47m, then
    /// stops`, `reroute (no timeout)`, `blue's termination`.
    pub fn waits_text(&self, now: At) -> String {
        match &self.waits {
            None => String::new(),
            Some(Waits::Reroute { at_least_until, stops }) => {
                let then = if *stops { "stops" } else { "reroutes" };
                match at_least_until {
                    None => "reroute (no timeout)".into(),
                    Some(u) if u.since(now).is_zero() => format!("reroute, then {then}"),
                    Some(u) => format!("reroute ≥{}, then {then}", super::why::left(now, *u)),
                }
            }
            Some(Waits::Termination) => "blue's termination".into(),
        }
    }

    /// How long ago the latest deployment was created: `45s`, `12m`, `5h`, `3d`.
    pub fn age(&self, now: At) -> Option<Duration> {
        self.latest.as_ref().and_then(|l| l.created).map(|c| now.since(c))
    }

    pub fn attention_text(&self) -> String {
        self.attention.iter().map(|a| a.word()).collect::<Vec<_>>().join(", ")
    }

    pub fn needs_attention(&self) -> bool {
        !self.attention.is_empty()
    }
}

/// `45s`, `12m`, `5h`, `3d`: an age for a table.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..172_800 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// The three reads, each as last seen.
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    pub groups: Vec<FleetGroup>,
    pub groups_at: Option<At>,
    /// Deployments of the region that were active at the last look, and
    /// those that have ended since (their final word).
    pub active: Vec<Active>,
    pub active_at: Option<At>,
    /// Every Auto Scaling group whose name starts with `CodeDeploy_`.
    pub copies: Option<Vec<String>>,
    pub copies_at: Option<At>,
}

/// A copy's prefix for a deployment group: `CodeDeploy_<group>_`.
pub fn copy_prefix(group: &str) -> String {
    format!("CodeDeploy_{group}_")
}

impl Fleet {
    /// The table, in the groups' order.
    pub fn rows(&self) -> Vec<Row> {
        let used: BTreeSet<&str> = self
            .groups
            .iter()
            .flat_map(|g| g.asgs.iter().map(String::as_str))
            .chain(self.active.iter().filter(|a| a.deployment.is_active()).flat_map(|a| {
                a.deployment.original_asg.iter().chain(a.deployment.replacement_asg.iter()).map(String::as_str)
            }))
            .collect();
        // Each group's newest deployment read, found once for all groups.
        let mut newest: HashMap<(&str, &str), &Active> = HashMap::new();
        for a in &self.active {
            let slot = newest.entry((a.application.as_str(), a.group.as_str())).or_insert(a);
            if a.deployment.created_at >= slot.deployment.created_at {
                *slot = a;
            }
        }
        self.groups
            .iter()
            .map(|g| {
                let read = newest.get(&(g.application.as_str(), g.name.as_str())).copied();
                let latest = match (read, &g.latest) {
                    (Some(a), Some(l)) if a.deployment.id != l.id && l.created > Some(a.deployment.created_at) => {
                        Some(l.clone())
                    }
                    (Some(a), _) => Some(Latest {
                        id: a.deployment.id.clone(),
                        status: a.deployment.status.clone(),
                        created: Some(a.deployment.created_at),
                        ended: a.deployment.completed_at,
                    }),
                    (None, l) => l.clone(),
                };
                let active = latest.as_ref().is_some_and(|l| !l.status.is_final());
                let waits = read
                    .filter(|a| active && Some(&a.deployment.id) == latest.as_ref().map(|l| &l.id))
                    .and_then(|a| match &a.deployment.wait {
                        Some(Wait::Reroute { until, stops }) => {
                            Some(Waits::Reroute { at_least_until: *until, stops: *stops })
                        }
                        Some(Wait::Termination { .. }) => Some(Waits::Termination),
                        None => None,
                    });
                let prefix = copy_prefix(&g.name);
                let leftovers: Vec<String> = self
                    .copies
                    .iter()
                    .flatten()
                    .filter(|n| n.starts_with(&prefix) && !used.contains(n.as_str()))
                    .cloned()
                    .collect();
                let mut attention = Vec::new();
                match latest.as_ref().map(|l| &l.status) {
                    Some(DeploymentStatus::Failed) => attention.push(Attention::Failed),
                    Some(DeploymentStatus::Stopped) => attention.push(Attention::Stopped),
                    _ => {}
                }
                match waits {
                    Some(Waits::Reroute { .. }) => attention.push(Attention::Ready),
                    Some(Waits::Termination) => attention.push(Attention::Terminating),
                    None => {}
                }
                if !leftovers.is_empty() {
                    attention.push(Attention::Leftovers(leftovers.len()));
                }
                Row {
                    application: g.application.clone(),
                    group: g.name.clone(),
                    style: g.style,
                    asgs: g.asgs.clone(),
                    balancer: g.balancer.clone(),
                    latest,
                    active,
                    waits,
                    leftovers,
                    attention,
                }
            })
            .collect()
    }

    /// How many groups and applications there are.
    pub fn counts(&self) -> (usize, usize) {
        let apps: BTreeSet<&str> = self.groups.iter().map(|g| g.application.as_str()).collect();
        (self.groups.len(), apps.len())
    }
}

/// How a fleet stands, for `status --all`'s exit code: the worst of its
/// latest deployments (failed or stopped over in progress).
pub fn standing(rows: &[Row]) -> Option<DeploymentStatus> {
    let statuses = rows.iter().filter_map(|r| r.latest.as_ref().map(|l| &l.status));
    let mut worst = None;
    for s in statuses {
        match s {
            DeploymentStatus::Failed | DeploymentStatus::Stopped => return Some(s.clone()),
            s if !s.is_final() => worst = Some(s.clone()),
            _ => {}
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Creator, Overview};

    fn group(app: &str, name: &str, asgs: &[&str], latest: Option<(&str, DeploymentStatus, u64)>) -> FleetGroup {
        FleetGroup {
            application: app.into(),
            name: name.into(),
            style: Style::Copy,
            asgs: asgs.iter().map(ToString::to_string).collect(),
            balancer: Some((LoadBalancerKind::Application, vec!["tg".into()])),
            latest: latest.map(|(id, status, created)| Latest {
                id: id.into(),
                status,
                created: Some(At(created)),
                ended: None,
            }),
        }
    }

    fn deployment(id: &str, status: DeploymentStatus, created: u64, wait: Option<Wait>) -> Deployment {
        Deployment {
            id: id.into(),
            status,
            creator: Creator::User,
            revision: None,
            previous_revision: None,
            original_asg: Some("web".into()),
            replacement_asg: Some(format!("CodeDeploy_dg_{id}")),
            created_at: At(created),
            started_at: None,
            completed_at: None,
            overview: Overview::default(),
            wait,
            termination_wait_started: false,
            error: None,
            rollback: None,
            status_messages: Vec::new(),
            targets: Vec::new(),
        }
    }

    #[test]
    fn an_active_deployment_read_says_more_than_the_groups_summary() {
        let mut fleet = Fleet {
            groups: vec![group("app", "dg", &["web"], Some(("d-1", DeploymentStatus::InProgress, 1_000)))],
            ..Fleet::default()
        };
        let ready = Wait::Reroute { until: Some(At(3_000_000)), stops: true };
        fleet.active = vec![Active {
            application: "app".into(),
            group: "dg".into(),
            deployment: deployment("d-1", DeploymentStatus::Ready, 1_000, Some(ready)),
        }];
        let rows = fleet.rows();
        let row = &rows[0];
        assert_eq!(row.latest.as_ref().unwrap().status, DeploymentStatus::Ready);
        assert!(row.active);
        assert_eq!(row.attention, vec![Attention::Ready]);
        assert_eq!(row.waits_text(At(1_000)), "reroute ≥50m, then stops");
        assert_eq!(row.waits_text(At(3_000_000)), "reroute, then stops");
        // The copy the active deployment makes is in use: not a leftover.
        fleet.copies = Some(vec!["CodeDeploy_dg_d-1".into(), "CodeDeploy_dg_d-0".into(), "CodeDeploy_dg2_d-9".into()]);
        let rows = fleet.rows();
        assert_eq!(rows[0].leftovers, vec!["CodeDeploy_dg_d-0".to_string()]);
        assert_eq!(rows[0].attention, vec![Attention::Ready, Attention::Leftovers(1)]);
        assert_eq!(rows[0].attention_text(), "ready, 1 leftover");
    }

    #[test]
    fn a_newer_deployment_in_the_summary_wins_over_an_older_read() {
        let mut fleet = Fleet {
            groups: vec![group("app", "dg", &["web"], Some(("d-2", DeploymentStatus::Failed, 2_000)))],
            ..Fleet::default()
        };
        fleet.active = vec![Active {
            application: "app".into(),
            group: "dg".into(),
            deployment: deployment("d-1", DeploymentStatus::Succeeded, 1_000, None),
        }];
        let rows = fleet.rows();
        assert_eq!(rows[0].latest.as_ref().unwrap().id, "d-2");
        assert!(!rows[0].active);
        assert_eq!(rows[0].attention, vec![Attention::Failed]);
        assert_eq!(standing(&rows), Some(DeploymentStatus::Failed));
        // An ended deployment read after the summary: its final word counts.
        fleet.groups[0].latest = Some(Latest {
            id: "d-1".into(),
            status: DeploymentStatus::InProgress,
            created: Some(At(1_000)),
            ended: None,
        });
        let rows = fleet.rows();
        assert_eq!(rows[0].latest.as_ref().unwrap().status, DeploymentStatus::Succeeded);
        assert_eq!(standing(&rows), None);
    }

    #[test]
    fn standing_is_the_worst_of_the_latest() {
        let row = |s: Option<DeploymentStatus>| Row {
            application: "a".into(),
            group: "g".into(),
            style: Style::InPlace,
            asgs: vec![],
            balancer: None,
            latest: s.map(|status| Latest { id: "d".into(), status, created: None, ended: None }),
            active: false,
            waits: None,
            leftovers: vec![],
            attention: vec![],
        };
        let ok = row(Some(DeploymentStatus::Succeeded));
        let moving = row(Some(DeploymentStatus::InProgress));
        let stopped = row(Some(DeploymentStatus::Stopped));
        assert_eq!(standing(&[ok.clone(), row(None)]), None);
        assert_eq!(standing(&[ok.clone(), moving.clone()]), Some(DeploymentStatus::InProgress));
        assert_eq!(standing(&[moving, stopped, ok]), Some(DeploymentStatus::Stopped));
    }

    #[test]
    fn ages() {
        assert_eq!(age(Duration::from_secs(45)), "45s");
        assert_eq!(age(Duration::from_secs(60)), "1m");
        assert_eq!(age(Duration::from_secs(3599)), "59m");
        assert_eq!(age(Duration::from_secs(3600 * 47)), "47h");
        assert_eq!(age(Duration::from_secs(86_400 * 3)), "3d");
    }

    #[test]
    fn a_read_belongs_to_its_own_application_and_the_newest_wins() {
        // The same group name in two applications: each row its own read.
        let mut fleet = Fleet {
            groups: vec![
                group("app", "dg", &["web"], Some(("d-1", DeploymentStatus::Succeeded, 1_000))),
                group("other", "dg", &["web2"], Some(("d-5", DeploymentStatus::Succeeded, 1_000))),
            ],
            ..Fleet::default()
        };
        // A deployment started after the groups were read: the read is newer.
        fleet.active = vec![Active {
            application: "app".into(),
            group: "dg".into(),
            deployment: deployment("d-2", DeploymentStatus::InProgress, 2_000, None),
        }];
        let rows = fleet.rows();
        assert_eq!(rows[0].latest.as_ref().unwrap().id, "d-2", "the newer read");
        assert!(rows[0].active);
        assert_eq!(rows[1].latest.as_ref().unwrap().id, "d-5", "not another application's");
        assert!(!rows[1].active);
    }

    #[test]
    fn of_two_reads_of_a_group_the_newest_is_its_row_whatever_their_order() {
        let read = |id: &str, status, created| Active {
            application: "app".into(),
            group: "dg".into(),
            deployment: deployment(id, status, created, None),
        };
        let older = read("d-1", DeploymentStatus::Succeeded, 1_000);
        let newer = read("d-2", DeploymentStatus::InProgress, 2_000);
        for active in [vec![older.clone(), newer.clone()], vec![newer, older]] {
            let fleet = Fleet { groups: vec![group("app", "dg", &["web"], None)], active, ..Fleet::default() };
            let rows = fleet.rows();
            assert_eq!(rows[0].latest.as_ref().unwrap().id, "d-2");
            assert!(rows[0].active);
        }
    }

    #[test]
    fn an_older_read_says_nothing_of_what_the_newer_deployment_waits_for() {
        // The summary names a newer deployment in progress; the read is of
        // an older one still listed in Ready: no wait is told.
        let mut fleet = Fleet {
            groups: vec![group("app", "dg", &["web"], Some(("d-2", DeploymentStatus::InProgress, 2_000)))],
            ..Fleet::default()
        };
        let ready = Wait::Reroute { until: Some(At(3_000_000)), stops: true };
        fleet.active = vec![Active {
            application: "app".into(),
            group: "dg".into(),
            deployment: deployment("d-1", DeploymentStatus::Ready, 1_000, Some(ready)),
        }];
        let rows = fleet.rows();
        assert_eq!(rows[0].latest.as_ref().unwrap().id, "d-2");
        assert_eq!(rows[0].waits, None);
        assert!(rows[0].attention.is_empty());
        fleet.groups[0].latest.as_mut().unwrap().status = DeploymentStatus::Stopped;
        fleet.active.clear();
        assert_eq!(fleet.rows()[0].attention, vec![Attention::Stopped]);
        assert_eq!(Style::Copy.key(), "blue_green_copy");
        assert_eq!(Style::Discover.key(), "blue_green_discover");
        assert_eq!(Style::InPlace.key(), "in_place");
    }
}
