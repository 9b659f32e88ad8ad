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
}

/// Looks once and prints what it saw.
pub fn print(opts: &Options) -> Result<(), Failure> {
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
