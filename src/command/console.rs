//! `bluegreen`: the console on AWS. Checks what it can without the network,
//! connects (region, credentials, application, group, load balancer;
//! problems are one line before the screen opens), then watches the group
//! on a cadence and probes its load balancer, on the screen or `--plain`.

use std::path::PathBuf;
use std::time::Duration;

use super::{Output, runtime, screen};
use crate::app::{Msg, Setup};
use crate::cloud::Cloud;
use crate::cloud::aws::{self, Target};
use crate::exit::Failure;
use crate::session::Session;
use crate::{logging, probe, report};

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
    pub page: probe::Patterns,
    /// How the prober's HTTPS is checked, and where its connections go.
    pub tls: crate::net::tls::TlsOptions,
    /// Where the session is recorded.
    pub record: super::Record,
}

/// A recording's closing words for how a session ended.
pub(crate) fn ending(result: &Result<(), Failure>) -> String {
    match result {
        Ok(()) => "quit".into(),
        Err(Failure::Signal(n)) => format!("signal {n}"),
        Err(f) => format!("failed: {}", crate::domain::clean(&f.to_string(), 200)),
    }
}

/// Checks what can be checked without the network.
pub(crate) fn check(opts: &Options) -> Result<probe::Reader, Failure> {
    probe::check_rate(opts.rate)?;
    super::check_record(&opts.record)?;
    let reader = opts.page.reader().map_err(Failure::Usage)?;
    if let Some(url) = &opts.target.url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(Failure::Usage(format!(
            "--url '{}' is not an http:// or https:// address (hint: --url http://my-lb-123.us-east-1.elb.amazonaws.com/)",
            crate::domain::clean(url, 80)
        )));
    }
    let url = opts.target.url.clone().unwrap_or_default();
    probe::check_tls(&probe::Settings { tls: opts.tls.clone(), ..probe::Settings::new(url, opts.rate) })?;
    Ok(reader)
}

/// Connects, then runs the console (or `--plain`) until the user quits.
/// On a screen, when `--app`/`--group` do not narrow the region to one
/// group, the fleet opens instead.
pub fn watch(opts: &Options) -> Result<(), Failure> {
    let reader = check(opts)?;
    runtime()?.block_on(connect_and_watch(opts, reader))
}

async fn connect_and_watch(opts: &Options, reader: probe::Reader) -> Result<(), Failure> {
    let (log_path, _log_guard) = logging::init(opts.log_file.clone())?;
    tracing::info!(region = ?opts.target.region, app = ?opts.target.application, group = ?opts.target.group, "starting");
    let output = Output::choose(opts.plain, false);
    let cloud = if output == Output::Screen && opts.target.group.is_none() {
        let fleet = aws::fleet::connect(opts.target.region.as_deref(), opts.target.profile.as_deref()).await?;
        if !fleet.narrows(opts.target.application.as_deref()).await? {
            return super::fleet::show(fleet, reader, opts, &log_path).await;
        }
        fleet.console(&opts.target).await?
    } else {
        aws::connect(&opts.target).await?
    };
    let (mut session, opening) = start(cloud, opts, reader, &log_path, output, None).await?;
    let result = match output {
        Output::Screen => screen::show(&mut session).await,
        Output::Lines | Output::Json => {
            report::lines::print(&mut session, std::io::stdout(), &opening, true).await.map(|_| ())
        }
    };
    session.end(&ending(&result));
    tracing::info!(result = ?result, "done");
    result
}

/// A console session on a connected group: the prober's first request (a
/// certificate problem is one line), the recording, the notices; with the
/// lines `--plain` prints first. `back` names where `Esc` leads.
pub(crate) async fn start(
    cloud: aws::AwsCloud,
    opts: &Options,
    reader: probe::Reader,
    log_path: &std::path::Path,
    output: Output,
    back: Option<&str>,
) -> Result<(Session<aws::AwsCloud>, Vec<(crate::domain::At, String, String)>), Failure> {
    let (application, group) = cloud.names();
    let (application, group) = (application.to_string(), group.to_string());
    let url = cloud.url().to_string();
    tracing::info!(application, group, region = cloud.region(), url, "watching");
    let setup = Setup {
        source: opts.target.profile.as_ref().map_or_else(|| "aws".to_string(), |p| format!("aws · {p}")),
        url: url.clone(),
        log_file: Some(log_path.display().to_string()),
        audit_log: Some(cloud.audit_log().display().to_string()),
        recording: None,
        read_only: cloud.read_only().then(|| "started with --read-only".into()),
        stale_after: Some(Duration::from_secs(60)),
        tour: false,
        unverified: opts.tls.insecure,
        back: back.map(str::to_string),
    };
    let tick = if output == Output::Screen { Duration::from_secs(1) } else { Duration::from_millis(250) };
    let settings = probe::Settings { reader, tls: opts.tls.clone(), ..probe::Settings::new(url.clone(), opts.rate) };
    // A certificate problem is one line before the screen opens; a
    // redirect is said once.
    let first = if url.is_empty() { probe::First::Answered } else { probe::first_request(&settings).await? };
    let now = cloud.now();
    let opening = vec![
        (now, "aws".to_string(), format!("watching {application}/{group} in {}", cloud.region())),
        (now, "lb".to_string(), format!("load balancer: {}", if url.is_empty() { "none (hint: --url)" } else { &url })),
    ];
    let recorder = if opts.record == super::Record::Off {
        None
    } else {
        // Who acted is part of the record; asked once, and kept for the audit log.
        let caller = tokio::time::timeout(Duration::from_secs(5), cloud.caller()).await.ok();
        let header = crate::record::Header {
            region: Some(cloud.region().to_string()),
            application: Some(application.clone()),
            group: Some(group.clone()),
            caller,
            first: opening.clone(),
            ..super::header("aws", &setup, cloud.names_events(), output == Output::Screen)
        };
        super::recorder(&opts.record, &header)?
    };
    let setup = Setup { recording: recorder.as_ref().map(|r| r.path().display().to_string()), ..setup };
    if let Some(r) = &recorder {
        tracing::info!(path = %r.path().display(), "recording");
    }
    let mut session = Session::build(cloud.clone(), setup).probe(settings).tick(tick).record(recorder).start();
    if url.is_empty() {
        session.send(Msg::Notice("the deployment group has no load balancer to probe (hint: --url)".into()))?;
    }
    if let Some(advice) = cloud.url_advice() {
        session.send(Msg::Notice(advice.to_string()))?;
    } else if let probe::First::Redirected { status, location } = first {
        session.send(Msg::Notice(probe::redirect_words(status, &location)))?;
    }
    Ok((session, opening))
}
