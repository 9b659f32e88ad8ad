//! The AWS adapter: the cloud port over the official SDK clients. The only
//! place SDK types exist; everything leaves here as domain types.
//!
//! - [`clients`]: configuration, timeouts, retries, the call recorder.
//! - [`discover`]: region, credentials, application, group, load balancer.
//! - [`observe`]: one observation, a fixed set of concurrent calls.
//! - [`map`]: SDK shapes into the domain's.
//! - [`act`]: the mutating calls, exactly once; [`audit`]: their record.
//! - [`errors`]: SDK errors into `ApiError`.
//! - [`push`]: a bundle uploaded to S3 and registered as a revision.
//! - [`fleet`]: every deployment group of a region, on a budget of calls.

pub mod act;
pub mod audit;
pub mod clients;
pub mod discover;
mod errors;
pub mod fleet;
mod map;
mod observe;
pub mod push;
pub mod tutorial;

use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::cloud::{ApiError, Call, CallOutput, Cloud};
use crate::domain::{At, Observation};
use crate::exit::Failure;
use clients::{CallLog, Clients};
use observe::{Memory, Subject};

/// What to watch, from the command line.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub application: Option<String>,
    pub group: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Where to probe, instead of the load balancer's DNS name.
    pub url: Option<String>,
    /// Refuse every mutating call in the port itself (nothing leaves).
    pub read_only: bool,
    /// Where mutations are recorded (default: the state directory's audit.jsonl).
    pub audit_log: Option<std::path::PathBuf>,
}

/// One deployment group on AWS.
#[derive(Debug, Clone)]
pub struct AwsCloud {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clients: Clients,
    subject: Subject,
    /// Held for a whole observation: never two at once.
    memory: Mutex<Memory>,
    read_only: bool,
    audit: audit::Audit,
}

impl AwsCloud {
    /// The application and group watched.
    pub fn names(&self) -> (&str, &str) {
        (&self.inner.subject.application, &self.inner.subject.group)
    }

    pub fn region(&self) -> &str {
        &self.inner.subject.region
    }

    /// Where the prober should look (the load balancer, or `--url`).
    pub fn url(&self) -> &str {
        &self.inner.subject.balancer.url
    }

    /// Why the load balancer's URL may not count versions, and what to pass.
    pub fn url_advice(&self) -> Option<&str> {
        self.inner.subject.balancer.advice.as_deref()
    }

    /// Every call made so far, by `service:Operation`.
    pub fn calls(&self) -> Arc<CallLog> {
        self.inner.clients.log.clone()
    }

    /// Where mutations are recorded.
    pub fn audit_log(&self) -> &std::path::Path {
        self.inner.audit.path()
    }

    pub fn read_only(&self) -> bool {
        self.inner.read_only
    }

    /// The caller's ARN (STS GetCallerIdentity, asked once and kept for the
    /// audit log).
    pub async fn caller(&self) -> String {
        self.inner.audit.caller(&self.inner.clients).await
    }
}

/// Finds what to watch, before the screen opens: region, credentials,
/// application, group, load balancer. Problems are one line, exit 2.
pub async fn connect(target: &Target) -> Result<AwsCloud, Failure> {
    if let Some(r) = &target.region {
        discover::check_region(r)?;
    }
    let config = clients::load(target.region.as_deref(), target.profile.as_deref()).await;
    connect_with(config, None, target).await
}

/// [`connect`] with a configuration made elsewhere (tests build one for an
/// emulator), and CodeDeploy's endpoint set apart from the others.
pub async fn connect_with(
    config: aws_config::SdkConfig,
    codedeploy_endpoint: Option<&str>,
    target: &Target,
) -> Result<AwsCloud, Failure> {
    let clients = Clients::new(config, codedeploy_endpoint);
    let region = discover::region(&clients)?;
    discover::credentials(&clients, target.profile.as_deref()).await?;
    let (application, group) =
        discover::names(&clients, &region, target.application.as_deref(), target.group.as_deref()).await?;
    let info = clients
        .codedeploy
        .get_deployment_group()
        .application_name(&application)
        .deployment_group_name(&group)
        .send()
        .await
        .map_err(|e| {
            Failure::Usage(format!("{} (hint: check --app and --group)", errors::api_error("GetDeploymentGroup", &e)))
        })?;
    let info = info
        .deployment_group_info()
        .cloned()
        .unwrap_or_else(|| aws_sdk_codedeploy::types::DeploymentGroupInfo::builder().build());
    if !map::is_blue_green(&info) {
        return Err(Failure::Usage(format!(
            "deployment group {group} deploys in place, not blue/green (hint: bluegreen watches blue/green deployment groups; pick another with --group)"
        )));
    }
    let lb = info.load_balancer_info();
    let names = |list: Vec<Option<&str>>| list.into_iter().flatten().map(ToString::to_string).collect::<Vec<_>>();
    let tg = names(lb.map(|l| l.target_group_info_list().iter().map(|t| t.name()).collect()).unwrap_or_default());
    let elb = names(lb.map(|l| l.elb_info_list().iter().map(|t| t.name()).collect()).unwrap_or_default());
    let balancer = discover::balancer(&clients, &tg, &elb, target.url.as_deref())
        .await
        .map_err(|e| Failure::Usage(format!("{e} (hint: the deployment group's load balancer could not be read)")))?;
    let subject = Subject { application, group, region, balancer };
    let audit_path = match &target.audit_log {
        Some(p) => p.clone(),
        None => crate::logging::state_dir()
            .ok_or_else(|| Failure::Usage("no place for the audit log (hint: --audit-log PATH, or set HOME)".into()))?
            .join("audit.jsonl"),
    };
    Ok(AwsCloud {
        inner: Arc::new(Inner {
            clients,
            subject,
            memory: Mutex::new(Memory::default()),
            read_only: target.read_only,
            audit: audit::Audit::new(audit_path),
        }),
    })
}

impl Cloud for AwsCloud {
    async fn observe(&self) -> Result<Observation, ApiError> {
        let mut memory = self.inner.memory.lock().await;
        Box::pin(observe::observe(&self.inner.clients, &self.inner.subject, &mut memory)).await
    }

    async fn apply(&self, call: Call) -> Result<CallOutput, ApiError> {
        if self.inner.read_only {
            return Err(ApiError::new(
                "ReadOnly",
                format!("{}: refused, bluegreen runs read-only; nothing was sent", call.operation()),
            ));
        }
        tracing::info!(operation = call.operation(), target = %call.target(), "mutation");
        act::apply(&self.inner.clients, &self.inner.audit, &call).await
    }

    fn world_at(&self, real: Instant) -> At {
        let since = Instant::now().saturating_duration_since(real);
        let wall = SystemTime::now().checked_sub(since).unwrap_or(SystemTime::UNIX_EPOCH);
        At(u64::try_from(wall.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_millis()).unwrap_or(0))
    }
}
