//! The console on AWS, against a real moto server (installed and started by
//! the tests) and a scripted CodeDeploy endpoint of the tests' own, through
//! the real SDK.

mod act;
mod cli;
pub mod codedeploy;
pub mod env;
mod fleet;
pub mod moto;
mod observe;
mod push;
pub mod sample;
mod tutorial;

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
        Self::with_target(env, settings, Target::default()).await
    }

    /// A world whose console connects with these options.
    pub async fn with_target(env: Env, settings: GroupSettings, target: Target) -> Self {
        let fake = FakeCodeDeploy::start(env.clone(), settings).await;
        let config = config(&env.region).await;
        let cloud = aws::connect_with(config.clone(), Some(&fake.url), &target).await.expect("connects");
        let codedeploy = aws_sdk_codedeploy::Client::from_conf(
            aws_sdk_codedeploy::config::Builder::from(&config).endpoint_url(&fake.url).build(),
        );
        Self { env, fake, cloud, codedeploy }
    }

    /// A console's cloud that starts now, knowing nothing yet.
    pub async fn fresh_cloud(&self) -> AwsCloud {
        aws::connect_with(config(&self.env.region).await, Some(&self.fake.url), &Target::default())
            .await
            .expect("connects")
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

/// The console's session on a world, without a screen: keys in, the app's
/// state read back, the watcher and the prober as in the binary.
pub struct Console {
    pub session: bluegreen::session::Session<AwsCloud>,
}

impl Console {
    /// The console as the binary builds it, without a prober: looks on a
    /// cadence (each given at most 20 s), a tick every 250 ms, a 120×40 screen.
    pub fn new(world: &World) -> Self {
        use bluegreen::app::{Msg, Setup};
        let setup = Setup {
            source: "aws".into(),
            read_only: world.cloud.read_only().then(|| "started with --read-only".into()),
            ..Setup::default()
        };
        let mut session = bluegreen::session::Session::build(world.cloud.clone(), setup)
            .look_limit(std::time::Duration::from_secs(20))
            .tick(std::time::Duration::from_millis(250))
            .start();
        session.send(Msg::Resize(120, 40)).unwrap();
        Self { session }
    }

    pub fn app(&self) -> &bluegreen::app::App {
        self.session.app()
    }

    pub fn status(&self) -> String {
        self.app().status().map(|s| s.text.clone()).unwrap_or_default()
    }

    /// Presses keys: words separated by spaces; `<enter>` and `<esc>` name keys.
    pub fn keys(&mut self, script: &str) {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        for word in script.split(' ').filter(|w| !w.is_empty()) {
            let codes: Vec<KeyCode> = match word {
                "<enter>" => vec![KeyCode::Enter],
                "<esc>" => vec![KeyCode::Esc],
                "<end>" => vec![KeyCode::End],
                text => text.chars().map(KeyCode::Char).collect(),
            };
            for code in codes {
                self.session.send(bluegreen::app::Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))).unwrap();
            }
        }
    }

    /// Runs the session until `done` holds (at most a minute).
    pub async fn until(&mut self, what: &str, done: impl Fn(&bluegreen::app::App) -> bool) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while !done(self.app()) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(
                !left.is_zero(),
                "waited a minute for {what}; status: {}; log: {:#?}",
                self.status(),
                self.app().log().newest().take(12).map(|e| e.text.clone()).collect::<Vec<_>>()
            );
            if let Ok(Some(msg)) = tokio::time::timeout(left, self.session.next()).await {
                self.session.send(msg).unwrap();
            }
        }
    }
}
