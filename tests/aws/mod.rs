//! The console on AWS, against a real moto server (installed and started by
//! the tests) and a scripted CodeDeploy endpoint of the tests' own, through
//! the real SDK.

mod cli;
pub mod codedeploy;
pub mod env;
pub mod moto;
mod observe;

use aws_config::{BehaviorVersion, Region};
use bluegreen::cloud::aws::{self, AwsCloud, Target};

use codedeploy::{FakeCodeDeploy, GroupSettings};
use env::{Env, KEY_ID, SECRET};

/// An environment in moto, its CodeDeploy, and the console's cloud on them.
pub struct World {
    pub env: Env,
    pub fake: FakeCodeDeploy,
    pub cloud: AwsCloud,
    /// A CodeDeploy client of the test's own (to act as another operator would).
    pub codedeploy: aws_sdk_codedeploy::Client,
}

/// The SDK configuration a test's console uses: moto for every service,
/// static fake credentials, one region.
pub async fn config(region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::v2026_01_12())
        .region(Region::new(region.to_string()))
        .endpoint_url(&moto::moto().url)
        .credentials_provider(aws_sdk_codedeploy::config::Credentials::new(KEY_ID, SECRET, None, None, "test"))
        .load()
        .await
}

impl World {
    pub async fn new(env: Env, settings: GroupSettings) -> Self {
        let fake = FakeCodeDeploy::start(env.clone(), settings).await;
        let config = config(&env.region).await;
        let cloud = aws::connect_with(config.clone(), Some(&fake.url), &Target::default()).await.expect("connects");
        let codedeploy = aws_sdk_codedeploy::Client::from_conf(
            aws_sdk_codedeploy::config::Builder::from(&config).endpoint_url(&fake.url).build(),
        );
        Self { env, fake, cloud, codedeploy }
    }

    /// Starts a deployment of `v2` as another operator would.
    pub async fn deploy(&self) -> String {
        let out = self
            .codedeploy
            .create_deployment()
            .application_name("bluegreen-app")
            .deployment_group_name("bluegreen-dg")
            .revision(
                aws_sdk_codedeploy::types::RevisionLocation::builder()
                    .revision_type(aws_sdk_codedeploy::types::RevisionLocationType::S3)
                    .s3_location(
                        aws_sdk_codedeploy::types::S3Location::builder()
                            .bucket("bluegreen-bucket")
                            .key("app/newversion-v2.zip")
                            .bundle_type(aws_sdk_codedeploy::types::BundleType::Zip)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("CreateDeployment");
        out.deployment_id().unwrap().to_string()
    }
}
