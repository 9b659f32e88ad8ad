//! The load balancer prober: GETs a URL at a steady rate and reads which
//! application version and instance answered. It only needs a URL, so it
//! measures a real ALB, the demo's load balancer or any web server the same
//! way. Page text is untrusted: it is cleaned and length-capped here.

pub mod stats;

use std::time::Duration;

use http_body_util::BodyExt;
use hyper::Request;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::demo::http::{Body, client};
use crate::domain::clean;
pub use stats::{Second, Traffic};

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx, with what the page says.
    Served { version: Option<String>, instance: Option<String> },
    /// Any other status.
    Status(u16),
    /// No answer: refused, reset, timed out.
    Error(String),
}

impl Outcome {
    pub fn failed(&self) -> bool {
        !matches!(self, Self::Served { .. })
    }
}

/// One request's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// When the request started.
    pub started: Instant,
    pub latency: Duration,
    pub outcome: Outcome,
}

/// Reads the tutorial's page: `application version: N` and `instance-id: i-…`.
/// Gives `v2`-style versions; both values are cleaned and capped.
pub fn read_page(body: &str) -> (Option<String>, Option<String>) {
    let field = |name: &str, max: usize| {
        let start = body.find(name)? + name.len();
        let rest = &body[start..];
        let end = rest.find('<').unwrap_or(rest.len()).min(256);
        let value = clean(rest.get(..end)?, max);
        (!value.is_empty()).then_some(value)
    };
    let version = field("application version:", 16).map(|v| if v.starts_with('v') { v } else { format!("v{v}") });
    (version, field("instance-id:", 32))
}

/// GETs `url` `rate` times a second, each request on its own task (a slow
/// answer never delays the next request), until the receiver is dropped.
pub fn start(url: String, rate: u32, samples: mpsc::Sender<Sample>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let http = client(true);
        let period = Duration::from_secs(1) / rate.max(1);
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            if samples.is_closed() {
                return;
            }
            let (http, url, samples) = (http.clone(), url.clone(), samples.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let outcome = probe(&http, &url).await;
                let _ = samples.send(Sample { started, latency: started.elapsed(), outcome }).await;
            });
        }
    })
}

async fn probe(
    http: &hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Body>,
    url: &str,
) -> Outcome {
    let Ok(req) = Request::get(url).header("user-agent", "bluegreen-probe").body(Body::default()) else {
        return Outcome::Error("bad URL".into());
    };
    let answer = tokio::time::timeout(Duration::from_secs(2), async {
        let resp = http.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok::<_, String>((status, body))
    })
    .await;
    match answer {
        Err(_) => Outcome::Error("timed out".into()),
        Ok(Err(e)) => Outcome::Error(clean(&e, 120)),
        Ok(Ok((status, _))) if !status.is_success() => Outcome::Status(status.as_u16()),
        Ok(Ok((_, body))) => {
            let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
            let (version, instance) = read_page(&text);
            Outcome::Served { version, instance }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::read_page;

    #[test]
    fn reads_the_tutorial_page() {
        let page = "<h1>application version: 2</h1><h1>instance-id: i-0abc</h1><h1>local-ipv4: 10.200.11.5</h1>";
        assert_eq!(read_page(page), (Some("v2".into()), Some("i-0abc".into())));
    }

    #[test]
    fn untrusted_text_is_cleaned_and_capped() {
        let page =
            "<h1>application version: \u{1b}[2J9\u{7}</h1><h1>instance-id: i-0123456789abcdef0123456789abcdef0123</h1>";
        let (v, i) = read_page(page);
        assert_eq!(v.as_deref(), Some("v[2J9"));
        assert!(i.unwrap().chars().count() <= 33);
        assert_eq!(read_page("It works!"), (None, None));
    }
}
