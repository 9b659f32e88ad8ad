//! The console on AWS: connect (region, credentials, application, group,
//! load balancer; problems are one line before the screen opens), then
//! watch the group on a cadence and probe its load balancer, with the
//! screen or `--plain`.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::app::{App, Msg};
use crate::cloud::Cloud;
use crate::cloud::aws::{self, Target};
use crate::cloud::watch::{LOOK_LIMIT, watch as watch_cloud};
use crate::exit::Failure;
use crate::session::Session;
use crate::{console, logging, plain, probe};

/// What to watch and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    /// Probe requests per second.
    pub rate: u32,
    /// No screen.
    pub plain: bool,
    pub log_file: Option<PathBuf>,
    /// How to read the version from the page.
    pub page: crate::cli::PageArgs,
}

impl Options {
    fn reader(&self) -> Result<probe::Reader, Failure> {
        let p = &self.page;
        probe::Reader::new(p.version_regex.as_deref(), p.instance_regex.as_deref(), p.version_header.as_deref())
            .map_err(Failure::Usage)
    }
}

/// Checks what can be checked without the network.
pub fn check(opts: &Options) -> Result<(), Failure> {
    probe::check_rate(opts.rate)?;
    opts.reader()?;
    if let Some(url) = &opts.target.url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(Failure::Usage(format!(
            "--url '{}' is not an http:// or https:// address (hint: --url http://my-lb-123.us-east-1.elb.amazonaws.com/)",
            crate::domain::clean(url, 80)
        )));
    }
    Ok(())
}

/// Connects, then runs the console (or `--plain`) until the user quits.
pub async fn run(opts: Options) -> Result<(), Failure> {
    let (log_path, _log_guard) = logging::init(opts.log_file.clone())?;
    tracing::info!(region = ?opts.target.region, app = ?opts.target.application, group = ?opts.target.group, "starting");
    let cloud = aws::connect(&opts.target).await?;
    let (application, group) = cloud.names();
    tracing::info!(application, group, region = cloud.region(), url = cloud.url(), "watching");
    let url = cloud.url().to_string();
    let (feed_tx, feed) = mpsc::channel(16);
    let (hurry_tx, hurry_rx) = watch::channel(false);
    let watcher = watch_cloud(cloud.clone(), feed_tx, hurry_rx, LOOK_LIMIT);
    let (samples_tx, samples) = mpsc::channel(1024);
    let settings = probe::Settings { reader: opts.reader()?, ..probe::Settings::new(url.clone(), opts.rate) };
    let probing = Instant::now();
    let prober = (!url.is_empty()).then(|| probe::start_at(settings, probing, samples_tx));
    let monochrome = opts.plain || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let source = opts.target.profile.as_ref().map_or_else(|| "aws".to_string(), |p| format!("aws · {p}"));
    let mut app = App::new(source, url.clone(), probing, monochrome);
    app.log_file = Some(log_path.display().to_string());
    app.audit_log = Some(cloud.audit_log().display().to_string());
    if cloud.read_only() {
        app.read_only = Some("started with --read-only".into());
    }
    app.stale_after = Some(Duration::from_secs(60));
    let tick = if opts.plain { Duration::from_millis(250) } else { Duration::from_secs(1) };
    let mut session = Session::new(app, cloud.clone(), feed, samples, tick, None).with_hurry(hurry_tx);
    if url.is_empty() {
        session.send(Msg::Notice("the deployment group has no load balancer to probe (hint: --url)".into()))?;
    }
    let result = if opts.plain {
        let now = session.cloud().now();
        let first = [
            (now, "aws", format!("watching {application}/{group} in {}", cloud.region())),
            (now, "lb", format!("load balancer: {}", if url.is_empty() { "none (hint: --url)" } else { &url })),
        ];
        plain::run(session, std::io::stdout(), &first, true).await.map(|_| ())
    } else {
        console::run(session).await
    };
    if let Some(p) = prober {
        p.abort();
    }
    watcher.abort();
    tracing::info!(result = ?result, "done");
    result
}
