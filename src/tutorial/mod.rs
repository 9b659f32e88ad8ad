//! The tutorial's kit, built into the binary: the CloudFormation template
//! (`assets/tutorial/template.yaml`) and the sample application
//! (`assets/tutorial/app/`), and what `tutorial up` and `down` need to know
//! of them without AWS: the names they give, the parameters a choice of
//! options makes, and how many resources a stack of those parameters has.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use crate::domain::clean;

/// The CloudFormation template, as `tutorial template` prints it.
pub const TEMPLATE: &str = include_str!("../../assets/tutorial/template.yaml");

/// The sample application's files, by path in its bundle, with their modes.
pub const APP: [(&str, &str, u32); 5] = [
    ("appspec.yml", include_str!("../../assets/tutorial/app/appspec.yml"), 0o644),
    ("scripts/stop.sh", include_str!("../../assets/tutorial/app/scripts/stop.sh"), 0o755),
    ("scripts/install.sh", include_str!("../../assets/tutorial/app/scripts/install.sh"), 0o755),
    ("scripts/start.sh", include_str!("../../assets/tutorial/app/scripts/start.sh"), 0o755),
    ("scripts/validate.sh", include_str!("../../assets/tutorial/app/scripts/validate.sh"), 0o755),
];

/// The stack's name when none is given.
pub const STACK: &str = "bluegreen-tutorial";

/// Where the workstation's user data looks for the binary, in the bucket.
pub const BINARY_KEY: &str = "tools/bluegreen";

/// The version the instances serve when the stack is new; `up` pushes the next.
pub const FIRST_VERSION: u32 = 1;

/// The load balancer the kit puts in front of the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadBalancer {
    /// An Application Load Balancer with an instance target group.
    #[default]
    Application,
    /// A Classic Load Balancer, as the blog post had.
    Classic,
}

impl LoadBalancer {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::Classic => "classic",
        }
    }
}

/// What the deployment group does once green is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reroute {
    /// Wait in Ready for a promote (`p`), up to [`READY_WAIT_MINUTES`], then stop.
    #[default]
    Manual,
    /// Move traffic to green as soon as it is ready.
    Auto,
}

/// How long a manual reroute waits in Ready before the deployment stops.
pub const READY_WAIT_MINUTES: i32 = 120;

/// The kit a run of `tutorial up` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kit {
    pub stack: String,
    pub load_balancer: LoadBalancer,
    pub workstation: bool,
    pub reroute: Reroute,
    /// A VPC to use instead of a new one, with its subnets.
    pub vpc: Option<String>,
    pub subnets: Vec<String>,
    /// An EC2 key pair for SSH to the workstation, and where from.
    pub key_name: Option<String>,
    pub ssh_from: Option<String>,
}

impl Kit {
    /// The CodeDeploy application `up` makes for the stack.
    pub fn application(&self) -> String {
        application(&self.stack)
    }

    /// The deployment group `up` makes for the stack.
    pub fn group(&self) -> String {
        group(&self.stack)
    }

    /// The template's parameters for these options.
    pub fn parameters(&self) -> Vec<(&'static str, String)> {
        vec![
            ("LoadBalancerType", self.load_balancer.as_str().to_string()),
            ("VpcId", self.vpc.clone().unwrap_or_default()),
            ("SubnetIds", self.subnets.join(",")),
            ("AddWorkstation", self.workstation.to_string()),
            ("KeyName", self.key_name.clone().unwrap_or_default()),
            ("SshCidr", self.ssh_from.clone().unwrap_or_default()),
        ]
    }

    /// The kit a stack of these parameters was made for (what `down` reads
    /// back; the subnets, key and addresses do not change what it holds
    /// but with the workstation).
    pub fn from_parameters(stack: &str, parameters: &BTreeMap<String, String>) -> Self {
        let given = |k: &str| parameters.get(k).filter(|v| !v.is_empty()).cloned();
        Self {
            stack: stack.to_string(),
            load_balancer: if given("LoadBalancerType").as_deref() == Some("classic") {
                LoadBalancer::Classic
            } else {
                LoadBalancer::Application
            },
            workstation: given("AddWorkstation").as_deref() == Some("true"),
            vpc: given("VpcId"),
            key_name: given("KeyName"),
            ssh_from: given("SshCidr"),
            ..Self::default()
        }
    }

    /// The template's conditions under these options.
    fn condition(&self, name: &str) -> Option<bool> {
        Some(match name {
            "MakeVpc" => self.vpc.is_none(),
            "UseAlb" => self.load_balancer == LoadBalancer::Application,
            "UseClassic" => self.load_balancer == LoadBalancer::Classic,
            "WithWorkstation" => self.workstation,
            "WithSsh" => self.workstation && self.key_name.is_some() && self.ssh_from.is_some(),
            _ => return None,
        })
    }

    /// The resources a stack of these options has, by logical id.
    pub fn resources(&self) -> Vec<String> {
        template_resources()
            .into_iter()
            .filter(|(_, condition)| condition.as_deref().is_none_or(|c| self.condition(c) == Some(true)))
            .map(|(id, _)| id)
            .collect()
    }
}

/// The application of a stack's kit: the stack's name.
pub fn application(stack: &str) -> String {
    stack.to_string()
}

/// The deployment group of a stack's kit.
pub fn group(stack: &str) -> String {
    format!("{stack}-group")
}

/// Every resource of the template, by logical id, with its condition.
pub fn template_resources() -> Vec<(String, Option<String>)> {
    let Ok(docs) = YamlLoader::load_from_str(TEMPLATE) else { return Vec::new() };
    let Some(Yaml::Hash(resources)) = docs.first().map(|d| &d["Resources"]) else { return Vec::new() };
    resources
        .iter()
        .filter_map(|(id, body)| Some((id.as_str()?.to_string(), body["Condition"].as_str().map(String::from))))
        .collect()
}

/// The template's conditions, by name (for the test that every one is known).
pub fn template_conditions() -> Vec<String> {
    let Ok(docs) = YamlLoader::load_from_str(TEMPLATE) else { return Vec::new() };
    let Some(Yaml::Hash(conditions)) = docs.first().map(|d| &d["Conditions"]) else { return Vec::new() };
    conditions.keys().filter_map(|k| k.as_str().map(String::from)).collect()
}

/// Whether every condition of the template is one [`Kit`] evaluates.
pub fn conditions_known() -> Result<(), String> {
    let kit = Kit::default();
    let unknown: Vec<String> = template_conditions().into_iter().filter(|c| kit.condition(c).is_none()).collect();
    if unknown.is_empty() { Ok(()) } else { Err(unknown.join(", ")) }
}

/// A stack name as CloudFormation allows it (a letter, then letters, digits
/// and hyphens, up to 128), short enough that the names made of it fit:
/// the bucket's, the group's copies' (`CodeDeploy_<group>_d-…`, 255).
pub fn check_stack_name(name: &str) -> Result<(), String> {
    let ok = (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--stack {} is not a stack name for the kit (hint: a letter, then letters, digits and hyphens, at most 40, such as {STACK})",
            clean(name, 60)
        ))
    }
}

/// Writes the sample application at `version` into `dir` (made if need be):
/// its appspec, its hook scripts (executable) and its `version` file.
/// Files already there with other content are refused: nothing is overwritten.
pub fn write_app(dir: &Path, version: &str) -> Result<Vec<String>, String> {
    if version.is_empty()
        || version.len() > 20
        || !version.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(format!(
            "--version {} is not a version for the page (hint: digits, letters, dots and hyphens, such as 3)",
            clean(version, 40)
        ));
    }
    let version_file = format!("{version}\n");
    let files: Vec<(&str, &str, u32)> =
        APP.iter().copied().chain(std::iter::once(("version", version_file.as_str(), 0o644))).collect();
    for (name, text, _) in &files {
        let path = dir.join(name);
        if let Ok(existing) = std::fs::read(&path)
            && existing != text.as_bytes()
        {
            return Err(format!(
                "{} is there with other content; nothing was written (hint: an empty or new directory)",
                clean(&path.display().to_string(), 200)
            ));
        }
    }
    let mut written = Vec::new();
    for (name, text, mode) in files {
        let path = dir.join(name);
        let fail = |e: std::io::Error| {
            format!(
                "cannot write {}: {e} (hint: DIR is a directory of your own, new or empty)",
                clean(&path.display().to_string(), 200)
            )
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        std::fs::write(&path, text).map_err(fail)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).map_err(fail)?;
        written.push(name.to_string());
    }
    Ok(written)
}

/// The stack's outputs the kit gives, read from CloudFormation's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs {
    pub url: String,
    pub autoscaling_group: String,
    pub bucket: String,
    pub service_role: String,
    /// The target group's ARN (an Application Load Balancer).
    pub target_group: Option<String>,
    /// The Classic Load Balancer's name.
    pub classic: Option<String>,
    /// The workstation's instance id.
    pub workstation: Option<String>,
}

impl Outputs {
    /// The outputs from their keys, or the keys missing.
    pub fn from_map(map: &BTreeMap<String, String>) -> Result<Self, String> {
        let get = |k: &str| map.get(k).map(|v| clean(v, 300));
        let missing: Vec<&str> =
            ["Url", "AutoScalingGroup", "Bucket", "ServiceRoleArn"].into_iter().filter(|k| get(k).is_none()).collect();
        if !missing.is_empty() {
            return Err(missing.join(", "));
        }
        Ok(Self {
            url: get("Url").unwrap_or_default(),
            autoscaling_group: get("AutoScalingGroup").unwrap_or_default(),
            bucket: get("Bucket").unwrap_or_default(),
            service_role: get("ServiceRoleArn").unwrap_or_default(),
            target_group: get("TargetGroup"),
            classic: get("ClassicLoadBalancer"),
            workstation: get("Workstation"),
        })
    }

    /// The target group's name, from its ARN (`…:targetgroup/NAME/ID`).
    pub fn target_group_name(&self) -> Option<String> {
        let arn = self.target_group.as_deref()?;
        arn.split(":targetgroup/").nth(1)?.split('/').next().map(String::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_condition_of_the_template_is_evaluated() {
        assert_eq!(conditions_known(), Ok(()));
        assert!(template_conditions().len() >= 5);
    }

    #[test]
    fn the_resources_follow_the_options() {
        let alb = Kit::default().resources();
        assert!(alb.contains(&"TargetGroup".to_string()) && alb.contains(&"Vpc".to_string()), "{alb:?}");
        assert!(!alb.contains(&"ClassicLoadBalancer".to_string()) && !alb.contains(&"Workstation".to_string()));
        assert_eq!(alb.len(), 20, "{alb:?}");
        let classic = Kit {
            load_balancer: LoadBalancer::Classic,
            workstation: true,
            vpc: Some("vpc-1".into()),
            ..Kit::default()
        }
        .resources();
        assert!(classic.contains(&"ClassicLoadBalancer".to_string()) && classic.contains(&"Workstation".to_string()));
        assert!(!classic.contains(&"Vpc".to_string()) && !classic.contains(&"Listener".to_string()));
        assert_eq!(classic.len(), 13, "{classic:?}");
    }

    #[test]
    fn parameters_name_every_choice() {
        let kit = Kit {
            stack: "s".into(),
            load_balancer: LoadBalancer::Classic,
            workstation: true,
            vpc: Some("vpc-1".into()),
            subnets: vec!["subnet-1".into(), "subnet-2".into()],
            key_name: Some("k".into()),
            ssh_from: Some("203.0.113.7/32".into()),
            ..Kit::default()
        };
        let p: BTreeMap<_, _> = kit.parameters().into_iter().collect();
        assert_eq!(p["LoadBalancerType"], "classic");
        assert_eq!(p["SubnetIds"], "subnet-1,subnet-2");
        assert_eq!(p["AddWorkstation"], "true");
        assert_eq!(p["SshCidr"], "203.0.113.7/32");
        assert_eq!((kit.application(), kit.group()), ("s".to_string(), "s-group".to_string()));
        // SSH opens only with a workstation, a key and the addresses, all three.
        assert_eq!(kit.condition("WithSsh"), Some(true));
        assert_eq!(Kit { ssh_from: None, ..kit.clone() }.condition("WithSsh"), Some(false));
        assert_eq!(Kit { key_name: None, ..kit.clone() }.condition("WithSsh"), Some(false));
        assert_eq!(Kit { workstation: false, ..kit.clone() }.condition("WithSsh"), Some(false));
        // Read back from a stack's parameters, the same resources.
        let back: BTreeMap<String, String> = kit.parameters().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let read = Kit::from_parameters("s", &back);
        assert_eq!(read.resources(), kit.resources());
        assert_eq!(read.stack, "s");
        assert_eq!((read.key_name.as_deref(), read.ssh_from.as_deref()), (Some("k"), Some("203.0.113.7/32")));
        assert_eq!(
            (read.load_balancer, read.workstation, read.vpc.as_deref()),
            (LoadBalancer::Classic, true, Some("vpc-1"))
        );
        assert_eq!(Kit::from_parameters("s", &BTreeMap::new()).resources(), Kit::default().resources());
        // Every parameter is one the template declares.
        let docs = YamlLoader::load_from_str(TEMPLATE).unwrap();
        for (name, _) in kit.parameters() {
            assert!(!docs[0]["Parameters"][name].is_badvalue(), "{name}");
        }
    }

    #[test]
    fn the_first_page_is_the_one_the_start_hook_writes() {
        // The user data writes version 1 as start.sh writes any version.
        let start = APP.iter().find(|(n, _, _)| *n == "scripts/start.sh").unwrap().1;
        let page = start.lines().find(|l| l.starts_with("page=")).unwrap();
        assert!(TEMPLATE.contains(page), "the template's user data and start.sh write different pages");
        assert!(TEMPLATE.contains(&format!("version={FIRST_VERSION}\n")));
    }

    fn json(y: &Yaml) -> serde_json::Value {
        match y {
            Yaml::Hash(h) => h.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), json(v))).collect(),
            Yaml::Array(a) => a.iter().map(json).collect(),
            Yaml::String(s) | Yaml::Real(s) => serde_json::Value::String(s.clone()),
            Yaml::Integer(n) => (*n).into(),
            Yaml::Boolean(b) => (*b).into(),
            _ => serde_json::Value::Null,
        }
    }

    #[test]
    fn the_workstation_carries_the_operator_policy_as_given() {
        let docs = YamlLoader::load_from_str(TEMPLATE).unwrap();
        let policy = &docs[0]["Resources"]["WorkstationRole"]["Properties"]["Policies"][0]["PolicyDocument"];
        let operator: serde_json::Value = serde_json::from_str(include_str!("../../assets/iam/operator.json")).unwrap();
        assert_eq!(json(policy), operator, "the template's workstation policy and assets/iam/operator.json differ");
    }

    /// Every action a policy's statements allow.
    fn actions(policy: &serde_json::Value) -> std::collections::BTreeSet<String> {
        let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
        statements
            .iter()
            .flat_map(|s| match &s["Action"] {
                serde_json::Value::String(a) => vec![a.clone()],
                serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn the_kits_service_role_grants_what_the_hint_names() {
        let docs = YamlLoader::load_from_str(TEMPLATE).unwrap();
        let policy = &docs[0]["Resources"]["CodeDeployServiceRole"]["Properties"]["Policies"][0]["PolicyDocument"];
        let given: serde_json::Value =
            serde_json::from_str(include_str!("../../assets/iam/codedeploy-service-role.json")).unwrap();
        let want = actions(&given);
        assert_eq!(want.len(), 3, "{want:?}");
        assert_eq!(actions(&json(policy)), want, "the kit's service role and the hint's policy differ");
    }

    #[test]
    fn stack_names() {
        assert!(check_stack_name(STACK).is_ok());
        for bad in ["", "1abc", "a_b", "a b", &"a".repeat(41)] {
            assert!(check_stack_name(bad).unwrap_err().contains("hint"), "{bad}");
        }
    }

    #[test]
    fn the_app_is_written_once_and_never_over_other_content() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_app(dir.path(), "3").unwrap();
        assert_eq!(written.len(), 6);
        assert_eq!(std::fs::read_to_string(dir.path().join("version")).unwrap(), "3\n");
        let mode = std::fs::metadata(dir.path().join("scripts/start.sh")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        // The same again is fine; another version is refused, and nothing changes.
        assert!(write_app(dir.path(), "3").is_ok());
        let err = write_app(dir.path(), "4").unwrap_err();
        assert!(err.contains("other content") && err.contains("hint"), "{err}");
        assert_eq!(std::fs::read_to_string(dir.path().join("version")).unwrap(), "3\n");
        for bad in ["3; rm -rf /", "", "1 2", &"9".repeat(21)] {
            assert!(write_app(dir.path(), bad).unwrap_err().contains("--version"), "{bad:?}");
        }
        for good in ["1.2-rc", &"9".repeat(20)] {
            let other = tempfile::tempdir().unwrap();
            assert!(write_app(other.path(), good).is_ok(), "{good:?}");
        }
        // The bundle's own checks pass.
        let bundle = crate::bundle::Bundle::make(dir.path(), &crate::bundle::Options::default()).unwrap();
        assert!(bundle.secrets.is_empty() && bundle.not_executable.is_empty());
    }

    #[test]
    fn outputs_are_read_and_the_target_group_named() {
        let mut map: BTreeMap<String, String> = [
            ("Url", "http://lb/"),
            ("AutoScalingGroup", "s-AutoScalingGroup-X"),
            ("Bucket", "s-bundlebucket-x"),
            ("ServiceRoleArn", "arn:aws:iam::1:role/r"),
            ("TargetGroup", "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/s-TargetGroup-Y/abc"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let out = Outputs::from_map(&map).unwrap();
        assert_eq!(out.target_group_name().as_deref(), Some("s-TargetGroup-Y"));
        map.remove("Bucket");
        map.remove("Url");
        assert_eq!(Outputs::from_map(&map).unwrap_err(), "Url, Bucket");
    }
}
