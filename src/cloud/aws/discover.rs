//! Before the screen opens: which region, whether there are credentials,
//! which application and deployment group (one is picked when it is the
//! only one), and from the group its load balancer: the target groups'
//! ARNs and the DNS name the prober watches (or the classic load
//! balancer's). Every problem here is one line with a hint, exit 2.

use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_elasticloadbalancingv2::types::{ActionTypeEnum, ProtocolEnum};

use super::clients::Clients;
use super::errors::api_error;
use super::map::text;
use crate::cloud::ApiError;
use crate::domain::{LoadBalancerKind, clean};
use crate::exit::Failure;

/// The regions this version knows; a name of the same shape is accepted too
/// (regions AWS opens later).
const REGIONS: [&str; 38] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
];

/// `us-east-1`, `eu-newplace-9`: a known region, or one of AWS's shape.
pub fn check_region(region: &str) -> Result<(), Failure> {
    if REGIONS.contains(&region) {
        return Ok(());
    }
    let parts: Vec<&str> = region.split('-').collect();
    let prefixes = ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"];
    let shaped = parts.len() == 3
        && prefixes.contains(&parts[0])
        && !parts[1].is_empty()
        && parts[1].chars().all(|c| c.is_ascii_lowercase())
        && !parts[2].is_empty()
        && parts[2].chars().all(|c| c.is_ascii_digit());
    if shaped {
        Ok(())
    } else {
        Err(Failure::Usage(format!(
            "unknown region '{}' (hint: a region such as us-east-1, with --region or AWS_REGION)",
            clean(region, 40)
        )))
    }
}

/// The region from the flag or the standard chain, checked.
pub fn region(clients: &Clients) -> Result<String, Failure> {
    let region = clients.region();
    if region.is_empty() {
        return Err(Failure::Usage(
            "no AWS region (hint: --region us-east-1, AWS_REGION, or a profile with a region)".into(),
        ));
    }
    check_region(&region)?;
    Ok(region)
}

/// The clients of the standard chain (or the given region and profile),
/// with the region they use, once a region and credentials are there; or
/// one line saying what is missing. For the commands that name no group.
pub async fn connected(region: Option<&str>, profile: Option<&str>) -> Result<(Clients, String), Failure> {
    if let Some(r) = region {
        check_region(r)?;
    }
    let clients = Clients::new(super::clients::load(region, profile).await, None);
    let region = self::region(&clients)?;
    credentials(&clients, profile).await?;
    Ok((clients, region))
}

/// Fails unless the credential chain gives credentials (within 10 s: the
/// instance profile's metadata service answers in milliseconds on EC2).
/// The failure is one sentence: the sources tried and the cause that
/// matters; the SDK's whole chain of errors goes to the log file.
pub async fn credentials(clients: &Clients, profile: Option<&str>) -> Result<(), Failure> {
    let chain = match clients.config.credentials_provider() {
        None => "no credential provider is configured".to_string(),
        Some(provider) => match tokio::time::timeout(Duration::from_secs(10), provider.provide_credentials()).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
            Err(_) => "the credential chain gave none within 10 s".to_string(),
        },
    };
    tracing::warn!(chain = %clean(&chain, 4000), "no AWS credentials");
    let sources = Sources::read(profile);
    let logged = if tracing::dispatcher::has_been_set() { " (the whole error is in the log file)" } else { "" };
    Err(Failure::Usage(format!("no AWS credentials: {}{logged}", sources.explain(&chain))))
}

/// Where the standard chain looks for credentials, as this machine has them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[expect(clippy::struct_excessive_bools, reason = "each is one fact the chain looks at")]
pub struct Sources {
    pub access_key: bool,
    pub secret_key: bool,
    /// The profile asked for (`--profile`, `AWS_PROFILE`), if any.
    pub profile: Option<String>,
    /// The profile's section was found in the config or credentials file.
    pub profile_found: bool,
    /// The profile signs in through IAM Identity Center (SSO).
    pub sso: bool,
    pub web_identity: bool,
    pub container: bool,
    /// `AWS_EC2_METADATA_DISABLED=true`.
    pub metadata_disabled: bool,
}

impl Sources {
    /// Reads the environment and the shared files.
    pub fn read(profile: Option<&str>) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let profile = profile.map(str::to_string).or_else(|| var("AWS_PROFILE"));
        let name = profile.clone().unwrap_or_else(|| "default".into());
        let home = var("HOME").map(std::path::PathBuf::from);
        let file = |env: &str, rel: &str| var(env).map(Into::into).or_else(|| home.as_ref().map(|h| h.join(rel)));
        let texts: Vec<String> =
            [file("AWS_CONFIG_FILE", ".aws/config"), file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")]
                .into_iter()
                .flatten()
                .filter_map(|p| std::fs::read_to_string(p).ok())
                .collect();
        let sections: Vec<Vec<String>> = texts.iter().filter_map(|t| section(t, &name)).collect();
        Self {
            access_key: var("AWS_ACCESS_KEY_ID").is_some(),
            secret_key: var("AWS_SECRET_ACCESS_KEY").is_some(),
            profile,
            profile_found: !sections.is_empty(),
            sso: sections.iter().flatten().any(|k| k.starts_with("sso_")),
            web_identity: var("AWS_WEB_IDENTITY_TOKEN_FILE").is_some(),
            container: var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
                || var("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some(),
            metadata_disabled: var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        }
    }

    /// The sources tried and the one cause that matters, in words.
    pub fn explain(&self, chain: &str) -> String {
        let named = self.profile.as_deref();
        let profile = format!("profile '{}'", named.unwrap_or("default"));
        let mut tried = vec!["environment".to_string(), profile.clone()];
        if self.sso {
            tried.push("SSO".into());
        }
        if self.web_identity {
            tried.push("web identity".into());
        }
        if self.container {
            tried.push("container".into());
        }
        tried.push("instance metadata".into());
        let lower = chain.to_ascii_lowercase();
        let (cause, hint) = if self.access_key != self.secret_key {
            let (set, unset) = if self.access_key {
                ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
            } else {
                ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")
            };
            (format!("{set} is set but {unset} is not"), "set both, or neither to use a profile".to_string())
        } else if let Some(name) = named.filter(|_| !self.profile_found) {
            (
                format!("profile '{name}' is in neither ~/.aws/config nor ~/.aws/credentials"),
                format!("'aws configure --profile {name}', or another --profile"),
            )
        } else if self.sso {
            (
                format!("the SSO sign-in of {profile} has expired or never happened"),
                format!("'aws sso login --profile {}'", named.unwrap_or("default")),
            )
        } else if self.profile_found {
            (
                format!("{profile} has no usable keys"),
                format!("'aws configure --profile {}'", named.unwrap_or("default")),
            )
        } else if self.metadata_disabled {
            (
                "none is set up, and AWS_EC2_METADATA_DISABLED turns instance metadata off".to_string(),
                "'aws configure', AWS_PROFILE or --profile".to_string(),
            )
        } else if lower.contains("within 10 s") || lower.contains("timed out") || lower.contains("timeout") {
            (
                "none is set up here, and the instance metadata service did not answer (not on EC2, or blocked)"
                    .to_string(),
                "'aws configure', AWS_PROFILE or --profile, or an instance profile on EC2".to_string(),
            )
        } else {
            (
                "none is set up here, and instance metadata gave none (not on EC2, or no instance profile attached)"
                    .to_string(),
                "'aws configure', AWS_PROFILE or --profile, or attach an instance profile".to_string(),
            )
        };
        format!("{cause}; tried {} (hint: {hint})", tried.join(", "))
    }
}

/// The keys of profile `name`'s section in a config or credentials file
/// (`[name]`, `[profile name]`), if it has one.
fn section(text: &str, name: &str) -> Option<Vec<String>> {
    let mut keys = None;
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if let Some(head) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let head = head.trim();
            inside = head == name || head.strip_prefix("profile").is_some_and(|p| p.trim() == name);
            if inside {
                keys.get_or_insert_with(Vec::new);
            }
        } else if inside && let Some((k, _)) = line.split_once('=') {
            keys.get_or_insert_with(Vec::new).push(k.trim().to_ascii_lowercase());
        }
    }
    keys
}

/// An error of a call made before the screen opens, as one line.
fn usage(region: &str, e: &ApiError) -> Failure {
    let hint = match e.code.as_str() {
        "Unreachable" | "Timeout" | "ConnectionLost" => {
            format!("check the network, a proxy, or AWS_ENDPOINT_URL; the region is {region}")
        }
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" | "UnrecognizedClientException" => {
            "the read permissions bluegreen needs are in assets/iam/read-only.json".into()
        }
        _ => "run with RUST_LOG=debug and read the log file for the whole answer".into(),
    };
    Failure::Usage(format!("{e} (hint: {hint})"))
}

/// A short list of names for an error line.
fn list(names: &[String]) -> String {
    crate::domain::some_of(names, 8)
}

/// Picks `wanted` among `names` (or the only one); else says what there is.
fn pick(what: &str, wanted: Option<&str>, names: &[String], flag: &str, region: &str) -> Result<String, Failure> {
    match (wanted, names) {
        (Some(w), _) if names.iter().any(|n| n == w) => Ok(w.to_string()),
        (Some(w), []) => Err(Failure::Usage(format!(
            "no {what} '{}' in {region}: there is none (hint: check --region)",
            clean(w, 100)
        ))),
        (Some(w), _) => Err(Failure::Usage(format!(
            "no {what} '{}' in {region} (hint: {flag} one of {})",
            clean(w, 100),
            list(names)
        ))),
        (None, [only]) => Ok(only.clone()),
        (None, []) => Err(Failure::Usage(format!(
            "no {what} in {region} (hint: check --region; bluegreen tutorial up builds the tutorial's, ready for the tour)"
        ))),
        (None, _) => {
            Err(Failure::Usage(format!("{} {what}s in {region}: {} (hint: {flag} NAME)", names.len(), list(names))))
        }
    }
}

/// The application and deployment group to watch.
pub async fn names(
    clients: &Clients,
    region: &str,
    application: Option<&str>,
    group: Option<&str>,
) -> Result<(String, String), Failure> {
    let app = application_named(clients, region, application).await?;
    let groups = groups(clients, region, &app).await?;
    let group = pick(&format!("deployment group of {app}"), group, &groups, "--group", region)?;
    Ok((app, group))
}

/// The CodeDeploy application `wanted` (or the region's only one), or one
/// line saying what there is.
pub(super) async fn application_named(
    clients: &Clients,
    region: &str,
    wanted: Option<&str>,
) -> Result<String, Failure> {
    let apps = applications(clients, region).await?;
    pick("CodeDeploy application", wanted, &apps, "--app", region)
}

/// The region's CodeDeploy applications; a failure is one line for the user.
async fn applications(clients: &Clients, region: &str) -> Result<Vec<String>, Failure> {
    list_applications(clients).await.map_err(|e| usage(region, &e))
}

/// The region's CodeDeploy applications, every page.
pub(super) async fn list_applications(clients: &Clients) -> Result<Vec<String>, ApiError> {
    let mut apps = Vec::new();
    let mut pages = clients.codedeploy.list_applications().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("ListApplications", &e))?;
        apps.extend(page.applications().iter().map(|a| text(Some(a))));
    }
    Ok(apps)
}

/// Whether `--app` (or the region, without it) holds one deployment group
/// at most, so the console can pick (or say what is missing); else the
/// fleet shows them all.
pub async fn narrows(clients: &Clients, region: &str, wanted: Option<&str>) -> Result<bool, Failure> {
    let apps = applications(clients, region).await?;
    let app = match wanted {
        Some(w) if apps.iter().any(|a| a == w) => w.to_string(),
        // Not there: the console says which there are.
        Some(_) => return Ok(true),
        None => match apps.as_slice() {
            [] => return Ok(true),
            [only] => only.clone(),
            _ => return Ok(false),
        },
    };
    Ok(groups(clients, region, &app).await?.len() <= 1)
}

/// The deployment groups of `app`.
pub(super) async fn groups(clients: &Clients, region: &str, app: &str) -> Result<Vec<String>, Failure> {
    let mut groups = Vec::new();
    let mut pages = clients.codedeploy.list_deployment_groups().application_name(app).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| usage(region, &api_error("ListDeploymentGroups", &e)))?;
        groups.extend(page.deployment_groups().iter().map(|g| text(Some(g))));
    }
    Ok(groups)
}

/// The deployment group's load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balancer {
    pub kind: LoadBalancerKind,
    /// The load balancer's name.
    pub name: String,
    /// Target groups (name, ARN), for an Application or Network Load Balancer.
    pub target_groups: Vec<(String, String)>,
    /// Classic load balancers' names.
    pub classic: Vec<String>,
    /// Where users reach it.
    pub url: String,
    /// Why probing that URL may not count versions (its HTTP listener only
    /// redirects to an HTTPS one), with what to pass instead.
    pub advice: Option<String>,
}

/// Finds the load balancer from the group's `loadBalancerInfo`: the target
/// groups' ARNs and their load balancer's DNS name and listener, or the
/// classic load balancer's DNS name and port.
pub async fn balancer(
    clients: &Clients,
    tg_names: &[String],
    elb_names: &[String],
    url: Option<&str>,
) -> Result<Balancer, ApiError> {
    if !tg_names.is_empty() {
        let out = clients
            .elbv2
            .describe_target_groups()
            .set_names(Some(tg_names.to_vec()))
            .send()
            .await
            .map_err(|e| api_error("DescribeTargetGroups", &e))?;
        let groups: Vec<(String, String)> =
            out.target_groups().iter().map(|t| (text(t.target_group_name()), text(t.target_group_arn()))).collect();
        let lb_arns: Vec<String> = out
            .target_groups()
            .iter()
            .flat_map(aws_sdk_elasticloadbalancingv2::types::TargetGroup::load_balancer_arns)
            .map(|a| text(Some(a)))
            .collect();
        let (name, dns_url, advice) = match lb_arns.first() {
            Some(arn) => application(clients, arn).await?,
            None => (String::new(), String::new(), None),
        };
        return Ok(Balancer {
            kind: LoadBalancerKind::Application,
            name,
            target_groups: groups,
            classic: Vec::new(),
            advice: advice.filter(|_| url.is_none()),
            url: url.map_or(dns_url, ToString::to_string),
        });
    }
    let Some(first) = elb_names.first() else {
        return Ok(Balancer {
            kind: LoadBalancerKind::Application,
            name: String::new(),
            target_groups: Vec::new(),
            classic: Vec::new(),
            url: url.unwrap_or_default().to_string(),
            advice: None,
        });
    };
    let out = clients
        .elb
        .describe_load_balancers()
        .load_balancer_names(first)
        .send()
        .await
        .map_err(|e| api_error("DescribeLoadBalancers", &e))?;
    let lb = out.load_balancer_descriptions().first();
    let dns = text(lb.and_then(|l| l.dns_name()));
    let port = lb
        .map(aws_sdk_elasticloadbalancing::types::LoadBalancerDescription::listener_descriptions)
        .and_then(|ls| {
            ls.iter()
                .filter_map(|d| d.listener())
                .map(aws_sdk_elasticloadbalancing::types::Listener::load_balancer_port)
                .min()
        })
        .unwrap_or(80);
    Ok(Balancer {
        kind: LoadBalancerKind::Classic,
        name: first.clone(),
        target_groups: Vec::new(),
        classic: elb_names.to_vec(),
        url: url.map_or_else(|| page_url("http", &dns, port), ToString::to_string),
        advice: None,
    })
}

/// An Application Load Balancer's name, the URL its listeners offer (HTTP
/// on 80 first), and advice when that listener only redirects to HTTPS.
async fn application(clients: &Clients, arn: &str) -> Result<(String, String, Option<String>), ApiError> {
    let lbs = clients
        .elbv2
        .describe_load_balancers()
        .load_balancer_arns(arn)
        .send()
        .await
        .map_err(|e| api_error("DescribeLoadBalancers", &e))?;
    let lb = lbs.load_balancers().first();
    let name = text(lb.and_then(|l| l.load_balancer_name()));
    let dns = text(lb.and_then(|l| l.dns_name()));
    let listeners = clients
        .elbv2
        .describe_listeners()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(|e| api_error("DescribeListeners", &e))?;
    let (scheme, port, redirects) = listeners
        .listeners()
        .iter()
        .map(|l| {
            let https = l.protocol() == Some(&ProtocolEnum::Https);
            let actions = l.default_actions();
            let redirects =
                !actions.is_empty() && actions.iter().all(|a| a.r#type() == Some(&ActionTypeEnum::Redirect));
            (if https { "https" } else { "http" }, l.port().unwrap_or(80), redirects)
        })
        .min_by_key(|(s, p, _)| (*s != "http" || *p != 80, *p))
        .unwrap_or(("http", 80, false));
    let has_https = listeners.listeners().iter().any(|l| l.protocol() == Some(&ProtocolEnum::Https));
    // The HTTPS listener's certificate names the site, not the
    // load balancer's DNS name: nothing is guessed.
    let advice = (scheme == "http" && redirects && has_https).then(|| {
            format!(
                "{name}'s HTTP listener only redirects to HTTPS: probing it counts redirects, not versions (hint: --url https://your.domain/, the name its certificate is for)"
            )
        });
    Ok((name, page_url(scheme, &dns, port), advice))
}

fn page_url(scheme: &str, host: &str, port: i32) -> String {
    if host.is_empty() {
        return String::new();
    }
    let default = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    if default { format!("{scheme}://{host}/") } else { format!("{scheme}://{host}:{port}/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMDS: &str = "an error occurred while loading credentials: failed to load IMDS session token: service error: request forbidden (ProviderError(ProviderError { source: FailedToLoadToken";

    #[test]
    fn a_missing_credential_is_told_by_its_one_cause_and_the_sources_tried() {
        let none = Sources::default();
        let told = none.explain(IMDS);
        assert!(told.starts_with("none is set up here, and instance metadata gave none"), "{told}");
        assert!(told.contains("; tried environment, profile 'default', instance metadata (hint: "), "{told}");
        assert!(!told.contains("ProviderError") && !told.contains('{'), "no debug dump: {told}");
        let slow = none.explain("the credential chain gave none within 10 s");
        assert!(slow.contains("did not answer"), "{slow}");
        let half = Sources { access_key: true, ..Sources::default() };
        assert!(half.explain(IMDS).starts_with("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
        let other_half = Sources { secret_key: true, ..Sources::default() };
        assert!(other_half.explain(IMDS).starts_with("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
        let both = Sources { access_key: true, secret_key: true, ..Sources::default() };
        assert!(both.explain(IMDS).starts_with("none is set up"), "both keys set: the keys are not the cause");
        let typo = Sources { profile: Some("prod".into()), ..Sources::default() };
        let told = typo.explain(IMDS);
        assert!(told.starts_with("profile 'prod' is in neither ~/.aws/config nor ~/.aws/credentials"), "{told}");
        assert!(told.contains("tried environment, profile 'prod', instance metadata"), "{told}");
        let sso = Sources { profile: Some("prod".into()), profile_found: true, sso: true, ..Sources::default() };
        let told = sso.explain(IMDS);
        assert!(
            told.contains("'aws sso login --profile prod'") && told.contains("tried environment, profile 'prod', SSO,")
        );
        let keyless = Sources { profile_found: true, ..Sources::default() };
        assert!(keyless.explain(IMDS).starts_with("profile 'default' has no usable keys"));
        let off = Sources { metadata_disabled: true, ..Sources::default() };
        assert!(off.explain(IMDS).contains("AWS_EC2_METADATA_DISABLED"));
        let pod = Sources { web_identity: true, container: true, ..Sources::default() };
        assert!(
            pod.explain(IMDS)
                .contains("tried environment, profile 'default', web identity, container, instance metadata (hint")
        );
    }

    #[test]
    fn a_profiles_section_is_found_by_either_heading() {
        let config =
            "[default]\nregion = us-east-1\n\n[profile prod]\nsso_session = corp\nregion=eu-west-1\n[other]\nx=1\n";
        assert_eq!(section(config, "prod"), Some(vec!["sso_session".to_string(), "region".to_string()]));
        assert_eq!(section(config, "default"), Some(vec!["region".to_string()]));
        assert_eq!(section(config, "other"), Some(vec!["x".to_string()]));
        assert_eq!(section(config, "missing"), None);
        assert_eq!(section("[ profile  empty ]\n", "empty"), Some(vec![]));
    }

    #[test]
    fn regions() {
        assert!(check_region("us-east-1").is_ok());
        assert!(check_region("eu-newplace-9").is_ok(), "a region of AWS's shape");
        for bad in ["mars-north-1", "us_east_1", "US-EAST-1", "us-east", "", "us-east-1x"] {
            assert!(matches!(check_region(bad), Err(Failure::Usage(_))), "{bad}");
        }
    }

    #[test]
    fn picking() {
        let names = vec!["a".to_string(), "b".to_string()];
        assert_eq!(pick("app", Some("b"), &names, "--app", "r").unwrap(), "b");
        assert_eq!(pick("app", None, &names[..1], "--app", "r").unwrap(), "a");
        let Err(Failure::Usage(e)) = pick("app", None, &names, "--app", "r") else { panic!() };
        assert_eq!(e, "2 apps in r: a, b (hint: --app NAME)");
        let Err(Failure::Usage(e)) = pick("app", Some("c"), &names, "--app", "r") else { panic!() };
        assert_eq!(e, "no app 'c' in r (hint: --app one of a, b)");
        let Err(Failure::Usage(e)) = pick("app", None, &[], "--app", "r") else { panic!() };
        assert_eq!(
            e,
            "no app in r (hint: check --region; bluegreen tutorial up builds the tutorial's, ready for the tour)"
        );
    }

    #[test]
    fn urls() {
        assert_eq!(page_url("http", "lb-1.elb.amazonaws.com", 80), "http://lb-1.elb.amazonaws.com/");
        assert_eq!(page_url("http", "lb", 8080), "http://lb:8080/");
        assert_eq!(page_url("https", "lb", 443), "https://lb/");
    }
}
