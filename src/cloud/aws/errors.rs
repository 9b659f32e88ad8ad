//! The SDK's errors as the console's: a code, a cleaned message, the
//! request id, and whether the call may have been carried out all the same
//! (no answer in time, a dropped connection, a server error) or certainly
//! was not (a refusal, throttling, a request that never left).

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::cloud::ApiError;

/// Maps any operation's error.
pub fn api_error<E>(operation: &str, err: &SdkError<E, Response>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ConstructionFailure(_) => {
            // The request never left: a missing credential, a bad parameter.
            ApiError::new("RequestNotSent", format!("{operation}: {}", DisplayErrorContext(err)))
        }
        SdkError::TimeoutError(_) => ApiError::uncertain("Timeout", format!("{operation}: no answer in time")),
        SdkError::DispatchFailure(d) => {
            tracing::debug!(operation, error = %DisplayErrorContext(err), "dispatch failure");
            let text = format!("{operation}: {}", chain(err));
            if never_connected(&text) {
                // The connection was never made: nothing reached AWS.
                ApiError::new("Unreachable", text)
            } else if d.is_timeout() {
                ApiError::uncertain("Timeout", text)
            } else {
                ApiError::uncertain("ConnectionLost", text)
            }
        }
        SdkError::ResponseError(r) => {
            let status = r.raw().status().as_u16();
            ApiError::uncertain("BadResponse", format!("{operation}: an answer that could not be read (HTTP {status})"))
                .with_request_id(request_id(r.raw()))
        }
        SdkError::ServiceError(s) => {
            let e = s.err();
            let status = s.raw().status().as_u16();
            let code = e.code().unwrap_or("Unknown");
            let message = e.message().unwrap_or("no message");
            let error = if status >= 500 {
                ApiError::uncertain(code, format!("{operation}: {message} (HTTP {status})"))
            } else {
                ApiError::new(code, format!("{operation}: {message}"))
            };
            error.with_request_id(request_id(s.raw()))
        }
        other => ApiError::uncertain("Unknown", format!("{operation}: {}", DisplayErrorContext(other))),
    }
}

/// Whether a dispatch failure happened before any byte could reach AWS:
/// the name did not resolve or the connection was refused.
/// An error and its causes in words, outermost first ("dispatch failure:
/// io error: … : Connection refused (os error 111)"), without the SDK's
/// debugging text, which goes to the log.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && words.last() != Some(&text) {
            words.push(text);
        }
        next = e.source();
    }
    crate::domain::clean(&words.join(": "), 300)
}

fn never_connected(text: &str) -> bool {
    ["(Connect)", "tcp connect error", "dns error", "failed to lookup address", "Connection refused"]
        .iter()
        .any(|m| text.contains(m))
}

fn request_id(raw: &Response) -> Option<&str> {
    raw.headers().get("x-amzn-requestid").or_else(|| raw.headers().get("x-amz-request-id"))
}
