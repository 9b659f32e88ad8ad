//! Every deployment group of a region on a budget of calls: no call per
//! group or per deployment. Three reads, each a round of concurrent calls:
//!
//! ```text
//! groups   ListApplications (pages)
//!          · per application: ListDeploymentGroups (pages), BatchGetDeploymentGroups (100 names a call)
//! active   ListDeployments of the region, active only (pages) · BatchGetDeployments (25 ids a call)
//! copies   DescribeAutoScalingGroups (100 a page), the `CodeDeploy_*` names kept
//! ```
//!
//! A full refresh is all three, in calls (each page rounded up):
//!
//! ```text
//! apps/page + Σ(groups_a/page + ⌈groups_a/100⌉) + active/page + ⌈(active + ended)/25⌉ + asgs/100
//! ```
//!
//! `BatchGetDeploymentGroups` already carries each group's latest attempted
//! deployment, its blue/green settings and its load balancer.

use std::sync::Arc;

use aws_sdk_codedeploy::types as cd;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::clients::{CallLog, Clients};
use super::errors::api_error;
use super::map::{self, text};
use crate::cloud::ApiError;
use crate::domain::fleet::{Active, FleetGroup, Latest, Style};
use crate::domain::{DeploymentStatus, LoadBalancerKind};
use crate::exit::Failure;

/// Calls of one round in flight at once (one account's rate is shared with
/// everything else that reads it).
const IN_FLIGHT: usize = 8;
/// `BatchGetDeploymentGroups` takes at most this many names.
const GROUPS_PER_CALL: usize = 100;
/// `BatchGetDeployments` takes at most this many ids.
const DEPLOYMENTS_PER_CALL: usize = 25;

/// Reads a region's deployment groups.
#[derive(Debug, Clone)]
pub struct FleetReader {
    clients: Clients,
    region: String,
    /// CodeDeploy's own endpoint, when it was given apart (tests).
    codedeploy_endpoint: Option<String>,
}

/// Connects for the fleet: a region and credentials, nothing else asked.
pub async fn connect(region: Option<&str>, profile: Option<&str>) -> Result<FleetReader, Failure> {
    let (clients, region) = super::discover::connected(region, profile).await?;
    Ok(FleetReader { clients, region, codedeploy_endpoint: None })
}

/// [`connect`] with a configuration made elsewhere (tests), and
/// CodeDeploy's endpoint set apart from the others.
pub async fn connect_with(
    config: aws_config::SdkConfig,
    codedeploy_endpoint: Option<&str>,
) -> Result<FleetReader, Failure> {
    let clients = Clients::new(config, codedeploy_endpoint);
    let region = super::discover::region(&clients)?;
    super::discover::credentials(&clients, None).await?;
    Ok(FleetReader { clients, region, codedeploy_endpoint: codedeploy_endpoint.map(str::to_string) })
}

impl FleetReader {
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Every call made so far, by `service:Operation`.
    pub fn calls(&self) -> Arc<CallLog> {
        self.clients.log.clone()
    }

    /// Connects a group's console with the reader's configuration (loaded
    /// once, for the fleet and every console opened from it).
    pub async fn console(&self, target: &super::Target) -> Result<super::AwsCloud, Failure> {
        super::connect_with(self.clients.config.clone(), self.codedeploy_endpoint.as_deref(), target).await
    }

    /// Whether `--app` (or the region) holds one group at most: then the
    /// console opens on it rather than the fleet.
    pub async fn narrows(&self, app: Option<&str>) -> Result<bool, Failure> {
        super::discover::narrows(&self.clients, &self.region, app).await
    }

    /// Every deployment group of every application, with its latest
    /// attempted deployment; in the order the applications and their
    /// groups are listed.
    pub async fn groups(&self) -> Result<Vec<FleetGroup>, ApiError> {
        let apps = super::discover::list_applications(&self.clients).await?;
        let reads: Vec<_> = apps.iter().map(|app| self.groups_of(app)).collect();
        let per_app: Vec<Vec<FleetGroup>> = stream::iter(reads).buffered(IN_FLIGHT).try_collect().await?;
        Ok(per_app.into_iter().flatten().collect())
    }

    /// The groups of one application: listed, then read 100 at a time.
    async fn groups_of(&self, app: &str) -> Result<Vec<FleetGroup>, ApiError> {
        let mut names = Vec::new();
        let mut pages = self.clients.codedeploy.list_deployment_groups().application_name(app).into_paginator().send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => names.extend(page.deployment_groups().iter().map(|g| text(Some(g)))),
                // Deleted between the two calls: it has no groups now.
                Err(e)
                    if e.as_service_error().is_some_and(
                        aws_sdk_codedeploy::operation::list_deployment_groups::ListDeploymentGroupsError::is_application_does_not_exist_exception,
                    ) =>
                {
                    return Ok(Vec::new());
                }
                Err(e) => return Err(api_error("ListDeploymentGroups", &e)),
            }
        }
        let reads: Vec<_> = names.chunks(GROUPS_PER_CALL).map(|chunk| self.batch_of_groups(app, chunk)).collect();
        let chunks: Vec<Vec<FleetGroup>> = stream::iter(reads).buffered(IN_FLIGHT).try_collect().await?;
        let mut groups: Vec<FleetGroup> = chunks.into_iter().flatten().collect();
        // In the listed order (a batch answers in its own).
        groups.sort_by_key(|g| names.iter().position(|n| *n == g.name).unwrap_or(usize::MAX));
        Ok(groups)
    }

    /// The region's active deployments, and the final word of `ended` (ids
    /// that were active at the last look and are not now), in one batch.
    pub async fn active(&self, ended: &[String]) -> Result<Vec<Active>, ApiError> {
        let mut ids = Vec::new();
        let mut pages = self
            .clients
            .codedeploy
            .list_deployments()
            .set_include_only_statuses(Some(super::observe::ACTIVE.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| api_error("ListDeployments", &e))?;
            ids.extend(page.deployments().iter().map(|d| text(Some(d))));
        }
        for id in ended {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        let reads: Vec<_> = ids.chunks(DEPLOYMENTS_PER_CALL).map(|chunk| self.batch_of_deployments(chunk)).collect();
        let chunks: Vec<Vec<Active>> = stream::iter(reads).buffered(IN_FLIGHT).try_collect().await?;
        Ok(chunks.into_iter().flatten().collect())
    }

    /// Up to 100 groups of one application.
    async fn batch_of_groups(&self, app: &str, names: &[String]) -> Result<Vec<FleetGroup>, ApiError> {
        let out = self
            .clients
            .codedeploy
            .batch_get_deployment_groups()
            .application_name(app)
            .set_deployment_group_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(|e| api_error("BatchGetDeploymentGroups", &e))?;
        Ok(out.deployment_groups_info().iter().map(|info| group(app, info)).collect())
    }

    /// Up to 25 deployments.
    async fn batch_of_deployments(&self, ids: &[String]) -> Result<Vec<Active>, ApiError> {
        let out = self
            .clients
            .codedeploy
            .batch_get_deployments()
            .set_deployment_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| api_error("BatchGetDeployments", &e))?;
        Ok(out.deployments_info().iter().map(active).collect())
    }

    /// The Auto Scaling groups named `CodeDeploy_*` (copies CodeDeploy made).
    pub async fn copies(&self) -> Result<Vec<String>, ApiError> {
        let mut names = Vec::new();
        let mut pages =
            self.clients.autoscaling.describe_auto_scaling_groups().max_records(100).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| api_error("DescribeAutoScalingGroups", &e))?;
            names.extend(
                page.auto_scaling_groups()
                    .iter()
                    .filter_map(|g| g.auto_scaling_group_name())
                    .filter(|n| n.starts_with("CodeDeploy_"))
                    .map(|n| text(Some(n))),
            );
        }
        names.sort();
        Ok(names)
    }
}

/// A group as the fleet shows it.
fn group(app: &str, info: &cd::DeploymentGroupInfo) -> FleetGroup {
    let name = text(info.deployment_group_name());
    let settings = map::group(info, app, &name);
    let style = if !map::is_blue_green(info) {
        Style::InPlace
    } else if settings.green_provisioning == crate::domain::GreenProvisioning::DiscoverExisting {
        Style::Discover
    } else {
        Style::Copy
    };
    let lb = info.load_balancer_info();
    let names = |list: Vec<Option<&str>>| list.into_iter().flatten().map(|n| text(Some(n))).collect::<Vec<_>>();
    let tgs = names(lb.map(|l| l.target_group_info_list().iter().map(|t| t.name()).collect()).unwrap_or_default());
    let elbs = names(lb.map(|l| l.elb_info_list().iter().map(|t| t.name()).collect()).unwrap_or_default());
    let balancer = if !tgs.is_empty() {
        Some((LoadBalancerKind::Application, tgs))
    } else if !elbs.is_empty() {
        Some((LoadBalancerKind::Classic, elbs))
    } else {
        None
    };
    let latest = info.last_attempted_deployment().and_then(|d| {
        Some(Latest {
            id: text(Some(d.deployment_id()?)),
            status: d
                .status()
                .map_or(DeploymentStatus::Unknown("missing".into()), |s| DeploymentStatus::parse(s.as_str())),
            created: map::at(d.create_time()),
            ended: map::at(d.end_time()),
        })
    });
    FleetGroup { application: app.to_string(), name, style, asgs: settings.autoscaling_groups, balancer, latest }
}

/// A deployment read in the active round, with its group's names.
fn active(info: &cd::DeploymentInfo) -> Active {
    let replacement = info.target_instances().and_then(|t| t.auto_scaling_groups().first()).map(|n| text(Some(n)));
    Active {
        application: text(info.application_name()),
        group: text(info.deployment_group_name()),
        deployment: map::deployment(info, None, replacement, Vec::new()),
    }
}

/// The calls one full refresh makes, by the formula in this module's
/// documentation (pages of 100 where AWS pages at 100; CodeDeploy's lists
/// are counted at `page` names a page).
pub fn calls_of_a_refresh(groups_per_app: &[usize], active: usize, asgs: usize, page: usize) -> usize {
    let pages = |n: usize| n.div_ceil(page).max(1);
    pages(groups_per_app.len())
        + groups_per_app.iter().map(|&g| pages(g) + g.div_ceil(GROUPS_PER_CALL)).sum::<usize>()
        + pages(active)
        + active.div_ceil(DEPLOYMENTS_PER_CALL)
        + asgs.div_ceil(100).max(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refresh_costs_pages_and_batches_not_groups() {
        // 10 applications of 100 groups, 30 active, 1,000 Auto Scaling groups.
        assert_eq!(super::calls_of_a_refresh(&[100; 10], 30, 1000, 100), 1 + 10 * 2 + 1 + 2 + 10);
        // One application of 250 groups: three pages and three batches.
        assert_eq!(super::calls_of_a_refresh(&[250], 0, 0, 100), 1 + 3 + 3 + 1 + 1);
    }
}
