//! `bluegreen status`: one look at the deployment group, printed as a few
//! lines or one JSON object; the exit code says how the latest deployment
//! stands (0 succeeded or none, 1 failed or stopped, 3 in progress). It
//! never changes anything.

use super::runtime;
use crate::cloud::Cloud;
use crate::cloud::aws::{self, Target};
use crate::exit::Failure;
use crate::report::Out;
use crate::report::status::{Standing, to_json, to_text};

/// Which group, and how to print it.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    /// One JSON object instead of text.
    pub json: bool,
    /// Every deployment group of the region.
    pub all: bool,
}

/// Looks once and prints what it saw.
pub fn print(opts: &Options) -> Result<(), Failure> {
    if opts.all {
        return print_all(opts);
    }
    let target = Target { read_only: true, ..opts.target.clone() };
    runtime()?.block_on(async {
        let _log = crate::logging::try_init();
        let cloud = aws::connect(&target).await?;
        let obs =
            cloud.observe().await.map_err(|e| Failure::Failed(format!("cannot look at the deployment group: {e}")))?;
        let mut out = Out::new(std::io::stdout());
        if opts.json {
            out.line(&to_json(&obs).to_string())?;
        } else {
            out.lines(to_text(&obs).iter().map(String::as_str))?;
        }
        Standing::of(&obs).result()
    })
}

/// Reads every group of the region once (the groups, the active
/// deployments and the copies, at once) and prints a line or an object per
/// group, by application and group.
fn print_all(opts: &Options) -> Result<(), Failure> {
    runtime()?.block_on(async {
        let _log = crate::logging::try_init();
        let reader = aws::fleet::connect(opts.target.region.as_deref(), opts.target.profile.as_deref()).await?;
        let failed = |what: &str, e: crate::cloud::ApiError| Failure::Failed(format!("cannot read {what}: {e}"));
        let (groups, active, copies) = tokio::join!(reader.groups(), reader.active(&[]), reader.copies());
        let now = crate::domain::At::from(std::time::SystemTime::now());
        let fleet = crate::domain::fleet::Fleet {
            groups: groups.map_err(|e| failed("the deployment groups", e))?,
            groups_at: Some(now),
            active: active.map_err(|e| failed("the active deployments", e))?,
            active_at: Some(now),
            copies: Some(copies.map_err(|e| failed("the Auto Scaling groups", e))?),
            copies_at: Some(now),
        };
        let mut rows = fleet.rows();
        rows.sort_by(|a, b| (&a.application, &a.group).cmp(&(&b.application, &b.group)));
        let mut out = Out::new(std::io::stdout());
        if opts.json {
            for row in &rows {
                out.line(&crate::report::fleet::to_json(row, reader.region(), now).to_string())?;
            }
        } else {
            out.lines(crate::report::fleet::to_text(&rows, now).iter().map(String::as_str))?;
        }
        crate::report::fleet::result(&rows)
    })
}
