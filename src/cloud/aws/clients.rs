//! The SDK clients: one configuration for every service (region,
//! credentials from the standard chain, endpoint overrides from the
//! environment, a pinned behaviour version, timeouts and retries), and an
//! interceptor that logs every call (operation, latency, attempts, request
//! id, outcome; never credentials) and counts calls by operation.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::{AppName, BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

/// How long one attempt, and one call with its retries, may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
pub const CALL_TIMEOUT: Duration = Duration::from_secs(12);

/// Calls made, by `service:Operation`, for the budget and the policies;
/// and the latest calls' latencies (at most [`RECENT`]).
#[derive(Debug, Default)]
pub struct CallLog {
    counts: Mutex<BTreeMap<String, u64>>,
    recent: Mutex<Vec<(String, Duration)>>,
}

/// Latencies kept, newest last.
pub const RECENT: usize = 1000;

impl CallLog {
    fn record(&self, name: String, latency: Duration) {
        *self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(name.clone()).or_default() += 1;
        let mut recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() == RECENT {
            recent.remove(0);
        }
        recent.push((name, latency));
    }

    /// The calls since the last take, with their latencies.
    pub fn take_latencies(&self) -> Vec<(String, Duration)> {
        std::mem::take(&mut *self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Every call made so far, by `service:Operation`.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// How many calls were made in all.
    pub fn total(&self) -> u64 {
        self.counts().values().sum()
    }
}

#[derive(Debug, Clone)]
struct Started(Instant);
impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

#[derive(Debug, Clone)]
struct Attempts(u32);
impl Storable for Attempts {
    type Storer = StoreReplace<Self>;
}

/// Logs each call and counts it.
#[derive(Debug, Clone)]
struct Recorder {
    log: Arc<CallLog>,
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "bluegreen-recorder"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        cfg.interceptor_state().store_put(Attempts(0));
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let n = cfg.load::<Attempts>().map_or(0, |a| a.0);
        cfg.interceptor_state().store_put(Attempts(n + 1));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = cfg.load::<Metadata>().map_or(("?", "?"), |m| (m.service(), m.name()));
        let latency = cfg.load::<Started>().map_or(Duration::ZERO, |s| s.0.elapsed());
        let attempts = cfg.load::<Attempts>().map_or(0, |a| a.0);
        let response = context.response();
        let request_id = response
            .and_then(|r| r.headers().get("x-amzn-requestid").or_else(|| r.headers().get("x-amz-request-id")))
            .unwrap_or("-");
        let status = response.map_or(0, |r| r.status().as_u16());
        let ok = context.output_or_error().is_some_and(|r| r.is_ok());
        let action = iam_action(service, operation);
        tracing::info!(
            target: "bluegreen::aws",
            service,
            operation,
            action,
            latency_ms = latency.as_millis() as u64,
            attempts,
            request_id,
            status,
            ok,
            "call"
        );
        self.log.record(action, latency);
        Ok(())
    }
}

/// The IAM prefix of a service, as policies name actions (`codedeploy:GetDeployment`).
pub fn service_prefix(service: &str) -> &'static str {
    match service.to_ascii_lowercase().replace(' ', "").as_str() {
        "codedeploy" => "codedeploy",
        "autoscaling" => "autoscaling",
        "ec2" => "ec2",
        "elasticloadbalancing" | "elasticloadbalancingv2" => "elasticloadbalancing",
        "sts" => "sts",
        "s3" => "s3",
        "cloudformation" => "cloudformation",
        _ => "unknown",
    }
}

/// The IAM action a call needs, as policies name it: the operation's own
/// name, but for S3, whose reads and multipart steps share actions
/// (HeadObject needs `s3:GetObject`, UploadPart `s3:PutObject`).
pub fn iam_action(service: &str, operation: &str) -> String {
    let prefix = service_prefix(service);
    let action = match (prefix, operation) {
        ("s3", "HeadObject") => "GetObject",
        ("s3", "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload") => "PutObject",
        ("s3", "ListObjectVersions") => "ListBucketVersions",
        ("s3", "DeleteObjects") => "DeleteObject",
        _ => operation,
    };
    format!("{prefix}:{action}")
}

/// The service clients, sharing one configuration and one call log.
#[derive(Debug, Clone)]
pub struct Clients {
    pub codedeploy: aws_sdk_codedeploy::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub elb: aws_sdk_elasticloadbalancing::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub sts: aws_sdk_sts::Client,
    /// For `push`; its uploading calls take longer timeouts.
    pub s3: aws_sdk_s3::Client,
    /// For `tutorial`.
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub log: Arc<CallLog>,
    pub config: SdkConfig,
}

/// Loads the shared configuration: region and profile when given, else the
/// standard chain (environment, profile, SSO, the instance profile through
/// IMDSv2); endpoint overrides (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`)
/// come from the environment as the SDK reads them.
pub async fn load(region: Option<&str>, profile: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::v2026_01_12())
        .timeout_config(timeouts())
        .retry_config(retries())
        .app_name(AppName::new("bluegreen").expect("a valid app name"));
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    loader.load().await
}

/// No call may hang a panel: one attempt, and one call with its retries,
/// have a limit.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(3100))
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(CALL_TIMEOUT)
        .build()
}

/// An upload's timeouts: a part of 8 MiB over a slow link takes minutes
/// (set on the uploading calls alone; the others keep [`timeouts`]).
pub fn upload_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(3100))
        .operation_attempt_timeout(Duration::from_secs(300))
        .operation_timeout(Duration::from_secs(900))
        .build()
}

/// Reads are retried (three attempts, backing off); mutations override
/// this with one attempt.
fn retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3)
}

impl Clients {
    /// Clients of one configuration; CodeDeploy may have an endpoint of its own.
    pub fn new(config: SdkConfig, codedeploy_endpoint: Option<&str>) -> Self {
        let log = Arc::new(CallLog::default());
        let recorder = Recorder { log: log.clone() };
        // Timeouts and retries are set on each client, so that a
        // configuration made elsewhere (an emulator's) has them too.
        macro_rules! client {
            ($krate:ident) => {
                $krate::Client::from_conf(
                    $krate::config::Builder::from(&config)
                        .interceptor(recorder.clone())
                        .timeout_config(timeouts())
                        .retry_config(retries())
                        .build(),
                )
            };
        }
        let mut codedeploy = aws_sdk_codedeploy::config::Builder::from(&config)
            .interceptor(recorder.clone())
            .timeout_config(timeouts())
            .retry_config(retries());
        if let Some(url) = codedeploy_endpoint {
            codedeploy = codedeploy.endpoint_url(url);
        }
        // An emulator's endpoint (an address, not bucket.s3.amazonaws.com)
        // cannot take the bucket in the host name.
        let emulated = config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let s3 = aws_sdk_s3::config::Builder::from(&config)
            .interceptor(recorder.clone())
            .timeout_config(timeouts())
            .retry_config(retries())
            .force_path_style(emulated)
            .build();
        Self {
            codedeploy: aws_sdk_codedeploy::Client::from_conf(codedeploy.build()),
            autoscaling: client!(aws_sdk_autoscaling),
            elbv2: client!(aws_sdk_elasticloadbalancingv2),
            elb: client!(aws_sdk_elasticloadbalancing),
            ec2: client!(aws_sdk_ec2),
            sts: client!(aws_sdk_sts),
            s3: aws_sdk_s3::Client::from_conf(s3),
            cloudformation: client!(aws_sdk_cloudformation),
            log,
            config,
        }
    }

    pub fn region(&self) -> String {
        self.config.region().map(ToString::to_string).unwrap_or_default()
    }
}
