//! The tutorial's environment built in moto through the SDK: a VPC with two
//! subnets, a launch template, an Auto Scaling group of N instances behind
//! an Application Load Balancer's target group (or a Classic Load
//! Balancer), and what CodeDeploy does to it during a blue/green
//! deployment (copy the group, attach and detach the load balancer).

use aws_config::{BehaviorVersion, Region};
use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
use aws_sdk_ec2::types::RequestLaunchTemplateData;

use super::moto::moto;

/// SDK clients pointed at moto in one region.
#[derive(Debug, Clone)]
pub struct Clients {
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub elb: aws_sdk_elasticloadbalancing::Client,
    pub ec2: aws_sdk_ec2::Client,
}

/// Fake credentials for moto and the scripted endpoint.
pub const KEY_ID: &str = "AKIDTESTTESTTEST";
pub const SECRET: &str = "test-secret-never-logged";

pub async fn clients(region: &str) -> Clients {
    let config = aws_config::defaults(BehaviorVersion::v2026_01_12())
        .region(Region::new(region.to_string()))
        .endpoint_url(&moto().url)
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(KEY_ID, SECRET, None, None, "test"))
        .load()
        .await;
    Clients {
        autoscaling: aws_sdk_autoscaling::Client::new(&config),
        elbv2: aws_sdk_elasticloadbalancingv2::Client::new(&config),
        elb: aws_sdk_elasticloadbalancing::Client::new(&config),
        ec2: aws_sdk_ec2::Client::new(&config),
    }
}

/// One environment in moto.
#[derive(Debug, Clone)]
pub struct Env {
    pub region: String,
    pub clients: Clients,
    /// The original (blue) group.
    pub asg: String,
    pub launch_template: String,
    pub subnets: String,
    /// (name, ARN) of the target group, for an ALB.
    pub target_group: Option<(String, String)>,
    /// The ALB's or the classic load balancer's DNS name.
    pub dns: String,
    /// The classic load balancer's name.
    pub classic: Option<String>,
    pub instances: i32,
}

pub async fn network(c: &Clients) -> (String, Vec<String>) {
    let vpc = c.ec2.create_vpc().cidr_block("10.200.0.0/16").send().await.unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let zones = c.ec2.describe_availability_zones().send().await.unwrap();
    let mut subnets = Vec::new();
    for (n, z) in zones.availability_zones().iter().take(2).enumerate() {
        let s = c
            .ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.200.{}.0/20", n * 16))
            .availability_zone(z.zone_name().unwrap())
            .send()
            .await
            .unwrap();
        subnets.push(s.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    (vpc_id, subnets)
}

async fn template(c: &Clients) -> String {
    let images = c.ec2.describe_images().send().await.unwrap();
    let image = images.images().first().and_then(|i| i.image_id()).unwrap_or("ami-12c6146b").to_string();
    let lt = c
        .ec2
        .create_launch_template()
        .launch_template_name("bluegreen-lt")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(image)
                .instance_type(aws_sdk_ec2::types::InstanceType::T2Micro)
                .build(),
        )
        .send()
        .await
        .unwrap();
    lt.launch_template().unwrap().launch_template_id().unwrap().to_string()
}

impl Env {
    /// The tutorial's environment with an Application Load Balancer.
    pub async fn alb(region: &str, instances: i32) -> Self {
        let c = clients(region).await;
        let (vpc, subnets) = network(&c).await;
        let lt = template(&c).await;
        let lb = c
            .elbv2
            .create_load_balancer()
            .name("bluegreen-alb")
            .set_subnets(Some(subnets.clone()))
            .send()
            .await
            .unwrap();
        let lb = lb.load_balancers().first().unwrap();
        let (lb_arn, dns) = (lb.load_balancer_arn().unwrap().to_string(), lb.dns_name().unwrap().to_string());
        let tg = c
            .elbv2
            .create_target_group()
            .name("bluegreen-tg")
            .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
            .port(80)
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap();
        let tg_arn = tg.target_groups().first().unwrap().target_group_arn().unwrap().to_string();
        c.elbv2
            .create_listener()
            .load_balancer_arn(&lb_arn)
            .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
            .port(80)
            .default_actions(
                aws_sdk_elasticloadbalancingv2::types::Action::builder()
                    .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
                    .target_group_arn(&tg_arn)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let env = Self {
            region: region.to_string(),
            asg: "bluegreen-asg".into(),
            launch_template: lt,
            subnets: subnets.join(","),
            target_group: Some(("bluegreen-tg".into(), tg_arn)),
            dns,
            classic: None,
            instances,
            clients: c,
        };
        env.create_group("bluegreen-asg").await;
        env.attach("bluegreen-asg").await;
        env
    }

    /// The blog post's own environment: a Classic Load Balancer.
    pub async fn classic(region: &str, instances: i32) -> Self {
        let c = clients(region).await;
        let (_, subnets) = network(&c).await;
        let lt = template(&c).await;
        let out = c
            .elb
            .create_load_balancer()
            .load_balancer_name("bluegreen-elb")
            .listeners(
                aws_sdk_elasticloadbalancing::types::Listener::builder()
                    .protocol("HTTP")
                    .load_balancer_port(80)
                    .instance_port(80)
                    .build()
                    .unwrap(),
            )
            .set_subnets(Some(subnets.clone()))
            .send()
            .await
            .unwrap();
        let env = Self {
            region: region.to_string(),
            asg: "bluegreen-asg".into(),
            launch_template: lt,
            subnets: subnets.join(","),
            target_group: None,
            dns: out.dns_name().unwrap().to_string(),
            classic: Some("bluegreen-elb".into()),
            instances,
            clients: c,
        };
        env.create_group("bluegreen-asg").await;
        env.attach("bluegreen-asg").await;
        env
    }

    /// The environment a tutorial stack made: its group (read back for the
    /// launch template and subnets) behind its target group or classic load
    /// balancer.
    pub async fn from_stack(
        region: &str,
        asg: &str,
        target_group: Option<&str>,
        classic: Option<&str>,
        dns: &str,
    ) -> Self {
        let c = clients(region).await;
        let out = c.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(asg).send().await.unwrap();
        let g = out.auto_scaling_groups().first().expect("the stack's group");
        let launch_template = g.launch_template().and_then(|t| t.launch_template_id()).unwrap().to_string();
        let target_group = target_group.map(|arn| {
            let name = arn.split(":targetgroup/").nth(1).unwrap().split('/').next().unwrap().to_string();
            (name, arn.to_string())
        });
        Self {
            region: region.to_string(),
            asg: asg.to_string(),
            launch_template,
            subnets: g.vpc_zone_identifier().unwrap_or_default().to_string(),
            target_group,
            dns: dns.to_string(),
            classic: classic.map(String::from),
            instances: g.desired_capacity().unwrap_or(2),
            clients: c,
        }
    }

    async fn create_group(&self, name: &str) {
        self.clients
            .autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(LaunchTemplateSpecification::builder().launch_template_id(&self.launch_template).build())
            .min_size(self.instances)
            .max_size(self.instances)
            .desired_capacity(self.instances)
            .vpc_zone_identifier(&self.subnets)
            .send()
            .await
            .unwrap();
    }

    /// Instance ids of a group.
    pub async fn instance_ids(&self, asg: &str) -> Vec<String> {
        let out =
            self.clients.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(asg).send().await.unwrap();
        out.auto_scaling_groups()
            .iter()
            .flat_map(aws_sdk_autoscaling::types::AutoScalingGroup::instances)
            .filter_map(|i| i.instance_id())
            .map(String::from)
            .collect()
    }

    /// CodeDeploy's copy of the original group; gives the new instances.
    pub async fn copy_group(&self, _from: &str, to: &str) -> Vec<String> {
        self.create_group(to).await;
        self.instance_ids(to).await
    }

    /// Attaches the load balancer to a group (its instances register).
    pub async fn attach(&self, asg: &str) {
        let a = &self.clients.autoscaling;
        match (&self.target_group, &self.classic) {
            (Some((_, arn)), _) => {
                a.attach_load_balancer_target_groups()
                    .auto_scaling_group_name(asg)
                    .target_group_arns(arn)
                    .send()
                    .await
                    .unwrap();
            }
            (None, Some(name)) => {
                a.attach_load_balancers().auto_scaling_group_name(asg).load_balancer_names(name).send().await.unwrap();
            }
            (None, None) => {}
        }
    }

    /// Detaches it (its instances deregister).
    pub async fn detach(&self, asg: &str) {
        let a = &self.clients.autoscaling;
        match (&self.target_group, &self.classic) {
            (Some((_, arn)), _) => {
                a.detach_load_balancer_target_groups()
                    .auto_scaling_group_name(asg)
                    .target_group_arns(arn)
                    .send()
                    .await
                    .unwrap();
            }
            (None, Some(name)) => {
                a.detach_load_balancers().auto_scaling_group_name(asg).load_balancer_names(name).send().await.unwrap();
            }
            (None, None) => {}
        }
    }

    /// Deletes a group and its instances (CodeDeploy terminating the originals).
    pub async fn delete_group(&self, asg: &str) {
        self.clients
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name(asg)
            .force_delete(true)
            .send()
            .await
            .unwrap();
    }

    /// Whether a group exists in moto.
    pub async fn group_exists(&self, asg: &str) -> bool {
        !self.instance_ids_or_empty(asg).await.1
    }

    async fn instance_ids_or_empty(&self, asg: &str) -> (Vec<String>, bool) {
        let out =
            self.clients.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(asg).send().await.unwrap();
        let missing = out.auto_scaling_groups().is_empty();
        (
            out.auto_scaling_groups()
                .iter()
                .flat_map(aws_sdk_autoscaling::types::AutoScalingGroup::instances)
                .filter_map(|i| i.instance_id())
                .map(String::from)
                .collect(),
            missing,
        )
    }
}
