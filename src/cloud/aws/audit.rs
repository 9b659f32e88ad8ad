//! The audit log: every mutation attempted on AWS, one JSON line each, with
//! the time, who made it (the caller's ARN from STS GetCallerIdentity, read
//! once), the region, the operation, its target and parameters, the attempt,
//! the request id and the outcome or error code. It never holds credentials,
//! only its owner may read it, and it is never rotated or pruned.
//! A line that cannot be written is reported in the application log; the
//! call itself has happened by then.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use super::clients::Clients;
use crate::cloud::{ApiError, Call, CallOutput};

/// Where mutations are recorded.
#[derive(Debug)]
pub struct Audit {
    path: PathBuf,
    /// Serialises the writers so lines never interleave.
    file: Mutex<()>,
    caller: OnceCell<String>,
}

impl Audit {
    pub fn new(path: PathBuf) -> Self {
        Self { path, file: Mutex::new(()), caller: OnceCell::new() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The caller's ARN, asked of STS once.
    pub async fn caller(&self, c: &Clients) -> String {
        self.caller
            .get_or_init(|| async {
                match c.sts.get_caller_identity().send().await {
                    Ok(id) => crate::domain::clean(id.arn().unwrap_or("unknown"), 256),
                    Err(e) => format!("unknown ({})", super::errors::api_error("GetCallerIdentity", &e).code),
                }
            })
            .await
            .clone()
    }

    /// Writes one line for one attempt of `call`.
    pub async fn record(
        &self,
        c: &Clients,
        call: &Call,
        attempt: u32,
        result: &Result<(CallOutput, Option<String>), ApiError>,
    ) {
        let caller = self.caller(c).await;
        let line = line(&caller, &c.region(), call, attempt, result, std::time::SystemTime::now());
        let _guard = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Never rotated: it is the record of every mutation.
        let written = crate::logging::open_private(&self.path).and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = written {
            tracing::error!(path = %self.path.display(), error = %e, "cannot write the audit log");
        }
    }
}

/// One audit line.
pub fn line(
    caller: &str,
    region: &str,
    call: &Call,
    attempt: u32,
    result: &Result<(CallOutput, Option<String>), ApiError>,
    at: std::time::SystemTime,
) -> String {
    let time =
        aws_smithy_types::DateTime::from(at).fmt(aws_smithy_types::date_time::Format::DateTime).unwrap_or_default();
    let parameters: Map<String, Value> = call
        .params()
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(crate::domain::clean(&v, 2000))))
        .collect();
    let mut v = json!({
        "time": time,
        "caller": caller,
        "region": region,
        "operation": call.operation(),
        "target": crate::domain::clean(&call.target(), 500),
        "parameters": parameters,
        "attempt": attempt,
    });
    match result {
        Ok((output, request_id)) => {
            v["request_id"] = json!(request_id);
            v["outcome"] = json!("done");
            match output {
                CallOutput::DeploymentId(id) => v["deployment_id"] = json!(id),
                CallOutput::Stopping { status, message } => v["stop"] = json!({"status": status, "message": message}),
                CallOutput::Done => {}
            }
        }
        Err(e) => {
            v["request_id"] = json!(e.request_id);
            v["outcome"] = json!(if e.uncertain { "unknown" } else { "failed" });
            v["error_code"] = json!(e.code);
            v["error"] = json!(e.message);
        }
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_says_who_did_what_to_what_and_how_it_went() {
        let call = Call::ContinueDeployment { deployment_id: "d-ABC".into(), wait: crate::cloud::WaitType::ReadyWait };
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_683_600);
        let ok =
            line("arn:aws:iam::1:user/rm", "us-east-1", &call, 1, &Ok((CallOutput::Done, Some("req-1".into()))), at);
        let v: Value = serde_json::from_str(&ok).unwrap();
        assert_eq!(v["time"], "2026-11-26T09:00:00Z");
        assert_eq!(v["caller"], "arn:aws:iam::1:user/rm");
        assert_eq!(v["operation"], "ContinueDeployment");
        assert_eq!(v["target"], "d-ABC");
        assert_eq!(v["parameters"]["deploymentWaitType"], "READY_WAIT");
        assert_eq!((v["request_id"].as_str(), v["outcome"].as_str()), (Some("req-1"), Some("done")));
        let lost = ApiError::uncertain("Timeout", "no answer").with_request_id(None);
        let v: Value = serde_json::from_str(&line("c", "r", &call, 2, &Err(lost), at)).unwrap();
        assert_eq!(
            (v["outcome"].as_str(), v["error_code"].as_str(), v["attempt"].as_u64()),
            (Some("unknown"), Some("Timeout"), Some(2))
        );
        assert!(!ok.contains('\n'), "one line");
    }
}
