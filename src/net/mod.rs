//! Small HTTP pieces the prober and the demo's network face (its instances
//! and load balancer) share: a body type, a client, a server loop with
//! graceful shutdown; the prober's TLS connections in [`tls`].

pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The body every server here answers with.
pub type Body = Full<Bytes>;

/// A plain-text or HTML response.
pub fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(hyper::header::CONTENT_TYPE, content_type.parse().expect("valid content type"));
    resp
}

/// TCP connections as every client here makes them: given a second to
/// connect, Nagle's algorithm off.
fn tcp() -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_secs(1)));
    connector.set_nodelay(true);
    connector
}

/// An HTTP/1 client. `reuse = false` opens a connection per request, as a
/// load balancer that must never send a request down a connection an
/// instance is closing.
pub fn client(reuse: bool) -> Client<HttpConnector, Body> {
    let connector = tcp();
    let mut builder = Client::builder(TokioExecutor::new());
    if !reuse {
        builder.pool_max_idle_per_host(0);
    }
    builder.build(connector)
}

/// Serves `handler` on `listener` until `stop` fires; then stops accepting
/// (the port closes) and lets requests in flight finish, for at most `grace`.
pub async fn serve<F, Fut>(listener: TcpListener, handler: F, stop: oneshot::Receiver<()>, grace: Duration)
where
    F: Fn(Request<Incoming>, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    serve_tls(listener, None, handler, stop, grace).await;
}

/// [`serve`], over TLS when `tls` is given (each connection's handshake
/// on its own task: a client that never finishes one holds up no other).
pub async fn serve_tls<F, Fut>(
    listener: TcpListener,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    handler: F,
    stop: oneshot::Receiver<()>,
    grace: Duration,
) where
    F: Fn(Request<Incoming>, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let mut stop = stop;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                // A TLS handshake is several small writes: without this,
                // Nagle's algorithm and a delayed ACK add 40 ms to it.
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                let service = service_fn(move |req| {
                    let handler = handler.clone();
                    async move { Ok::<_, Infallible>(handler(req, peer).await) }
                });
                let watcher = graceful.watcher();
                let tls = tls.clone().map(tokio_rustls::TlsAcceptor::from);
                tokio::spawn(async move {
                    let http = hyper::server::conn::http1::Builder::new();
                    match tls {
                        None => {
                            let _ = watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await;
                        }
                        Some(acceptor) => {
                            let handshake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                            if let Ok(Ok(stream)) = handshake.await {
                                let _ = watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await;
                            }
                        }
                    }
                });
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}
