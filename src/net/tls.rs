//! The prober's connections: plain TCP, or TLS 1.2/1.3 through rustls with
//! the system's roots (`SSL_CERT_FILE` and `SSL_CERT_DIR` honoured), a
//! private CA's, or no verification at all when asked; optionally to
//! another address than the URL names (`--connect-to`), SNI and `Host`
//! still the URL's. Each TLS handshake is timed and handed to the first
//! answer on its connection, so the prober counts handshakes per request;
//! the server's certificate is watched for changes.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::client::TlsStream;

use super::Body;

/// How TLS connections are checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file of certificates trusted besides the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate (said wherever the run is described).
    pub insecure: bool,
    /// Connect here (`HOST:PORT`) instead of the URL's host and port.
    pub connect_to: Option<String>,
    /// Certificates trusted besides (the demo's own authority).
    pub trusted: Vec<CertificateDer<'static>>,
}

impl TlsOptions {
    /// What a run's description adds: `, insecure (certificates not
    /// verified)`, `, via 10.0.0.5:443`.
    pub fn describe(&self) -> String {
        let via = self.connect_to.as_ref().map(|to| format!(", via {to}")).unwrap_or_default();
        let insecure = if self.insecure { ", insecure (certificates not verified)" } else { "" };
        format!("{via}{insecure}")
    }
}

/// Checks `--connect-to HOST:PORT`.
pub fn check_connect_to(value: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "--connect-to '{}' is not HOST:PORT (hint: --connect-to my-alb-123.us-east-1.elb.amazonaws.com:443)",
            crate::domain::clean(value, 80)
        )
    };
    let (host, port) = value.rsplit_once(':').ok_or_else(bad)?;
    let host_ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-_[]:".contains(c));
    match port.parse::<u16>() {
        Ok(p) if p > 0 && host_ok => Ok(()),
        _ => Err(bad()),
    }
}

/// The TLS configuration for `options`: the system's roots and the CA
/// file's, or none checked when insecure. A bad CA file is one line.
pub fn client_config(options: &TlsOptions) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS cannot start: {e}"))?;
    let mut config = if options.insecure {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(Unverified(provider))).with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        // Certificates the system offers that rustls cannot read are left
        // out, as every rustls client does.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        for cert in &options.trusted {
            roots.add(cert.clone()).map_err(|e| format!("cannot trust the demo's certificate: {e}"))?;
        }
        if let Some(path) = &options.ca_file {
            for cert in read_ca_file(path)? {
                roots.add(cert).map_err(|e| ca_problem(path, &format!("holds a certificate rustls refuses: {e}")))?;
            }
        }
        if roots.is_empty() {
            return Err("no trusted certificates found (hint: --ca-file PEM, or set SSL_CERT_FILE)".into());
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // Every new connection a full handshake, as a new visitor's: a resumed
    // session would hide a certificate the listener changed.
    config.resumption = rustls::client::Resumption::disabled();
    Ok(config)
}

fn ca_problem(path: &Path, why: &str) -> String {
    format!(
        "--ca-file {} {why} (hint: a PEM file of the CA's certificates, '-----BEGIN CERTIFICATE-----')",
        crate::domain::clean(&path.display().to_string(), 80)
    )
}

fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = std::fs::read(path).map_err(|e| ca_problem(path, &format!("cannot be read: {e}")))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| ca_problem(path, &format!("is not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(ca_problem(path, "holds no certificate"));
    }
    Ok(certs)
}

/// Accepts any certificate, yet checks the handshake's signatures.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A handshake, handed to the first answer on its connection.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub took: Duration,
    claimed: Arc<AtomicBool>,
}

impl Handshake {
    /// The handshake's time, the first time it is asked for (the answer
    /// that paid for it); `None` after.
    pub fn claim(&self) -> Option<Duration> {
        (!self.claimed.swap(true, Ordering::Relaxed)).then_some(self.took)
    }
}

/// The server's certificate as the connections saw it: a short hash of
/// the leaf, and each change of it with when it was first seen.
#[derive(Debug, Default)]
pub struct Certificates {
    inner: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    current: Option<u64>,
    changes: Vec<(Instant, String)>,
}

impl Certificates {
    fn saw(&self, leaf: &CertificateDer<'_>) {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        leaf.as_ref().hash(&mut hasher);
        let hash = hasher.finish();
        let mut seen = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match seen.current {
            Some(h) if h == hash => {}
            Some(h) => {
                let text = format!("the server's certificate changed ({h:016x} → {hash:016x})");
                seen.changes.push((Instant::now(), text));
                seen.current = Some(hash);
            }
            None => seen.current = Some(hash),
        }
    }

    /// Changes seen since the last call, oldest first.
    pub fn take_changes(&self) -> Vec<(Instant, String)> {
        std::mem::take(&mut self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner).changes)
    }
}

/// Connects for the HTTP client: TCP (to `connect_to` when set), then TLS
/// for `https` URLs, naming the URL's host.
#[derive(Clone)]
pub struct Connector {
    http: HttpConnector,
    tls: Option<tokio_rustls::TlsConnector>,
    connect_to: Option<String>,
    certificates: Arc<Certificates>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("tls", &self.tls.is_some())
            .field("connect_to", &self.connect_to)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Plain(_) => "Stream::Plain",
            Self::Tls(..) => "Stream::Tls",
        })
    }
}

impl Connector {
    /// A connector for `options`; TLS is set up (the system's roots read)
    /// only when the URL is `https` (`tls`).
    pub fn new(options: &TlsOptions, certificates: Arc<Certificates>, tls: bool) -> Result<Self, String> {
        let mut http = super::tcp();
        http.enforce_http(false);
        let tls = if tls { Some(tokio_rustls::TlsConnector::from(Arc::new(client_config(options)?))) } else { None };
        Ok(Self { http, tls, connect_to: options.connect_to.clone(), certificates })
    }

    /// Plain HTTP only: what the prober falls back to when TLS cannot be
    /// set up (its options were checked before; an https URL then fails
    /// each request as `other`).
    pub fn plain() -> Self {
        Self { http: super::tcp(), tls: None, connect_to: None, certificates: Arc::default() }
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.connect(dst).await })
    }
}

impl Connector {
    async fn connect(mut self, dst: Uri) -> Result<TokioIo<Stream>, BoxError> {
        use tower_service::Service;
        let https = dst.scheme_str() == Some("https");
        let host = dst.host().ok_or("a URL without a host")?.to_string();
        let port = dst.port_u16().unwrap_or(if https { 443 } else { 80 });
        let authority = self
            .connect_to
            .clone()
            .unwrap_or_else(|| if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") });
        let tcp_uri: Uri = format!("http://{authority}/").parse()?;
        let tcp = self.http.call(tcp_uri).await?.into_inner();
        if !https {
            return Ok(TokioIo::new(Stream::Plain(tcp)));
        }
        let tls = self.tls.as_ref().ok_or("https on a plain-only connector")?;
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_string())?;
        let started = Instant::now();
        let stream = tls.connect(name, tcp).await?;
        let handshake = Handshake { took: started.elapsed(), claimed: Arc::default() };
        if let Some(leaf) = stream.get_ref().1.peer_certificates().and_then(|c| c.first()) {
            self.certificates.saw(leaf);
        }
        Ok(TokioIo::new(Stream::Tls(Box::new(stream), handshake)))
    }
}

/// A connection: plain, or TLS with its handshake.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>, Handshake),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        match self {
            Self::Plain(_) => Connected::new(),
            Self::Tls(_, handshake) => Connected::new().extra(handshake.clone()),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s, _) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s, _) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s, _) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s, _) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The prober's client over [`Connector`].
pub type Client = hyper_util::client::legacy::Client<Connector, Body>;

/// A client: `reuse = false` opens a connection (and a handshake) per request.
pub fn client(connector: Connector, reuse: bool) -> Client {
    let mut builder = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new());
    if !reuse {
        builder.pool_max_idle_per_host(0);
    }
    builder.build(connector)
}

/// A certificate problem in words, with the way out, if `e` is one.
pub fn certificate_problem(e: &(dyn std::error::Error + 'static), host: &str) -> Option<String> {
    rustls_error(e).map(|tls| tls_words(tls, host))
}

/// The TLS error in `e`'s chain of causes, if any (an I/O error carries it
/// inside, where `source` does not look).
pub fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(tls) = c.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) = c
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        cause = c.source();
    }
    None
}

fn tls_words(e: &rustls::Error, host: &str) -> String {
    let host = crate::domain::clean(host, 80);
    match e {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => format!(
                "{host}'s certificate is signed by an issuer this machine does not trust (hint: --ca-file PEM for a private CA, or --insecure to skip verification)"
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => format!(
                "{host}'s certificate has expired (hint: renew it; --insecure probes anyway without verification)"
            ),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => format!(
                "{host}'s certificate is not valid yet (hint: check this machine's clock; --insecure probes anyway)"
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => format!(
                "{host}'s certificate is not valid for that name (hint: use the site's name in the URL and --connect-to HOST:PORT to reach this load balancer, or --insecure)"
            ),
            CertificateError::Revoked => {
                format!("{host}'s certificate is revoked (hint: --insecure probes anyway without verification)")
            }
            other => format!("{host}'s certificate is refused: {other:?} (hint: --ca-file PEM, or --insecure)"),
        },
        other => format!("the TLS handshake with {host} failed: {other} (hint: does it serve HTTPS on that port?)"),
    }
}

/// A certificate authority made at start and a server certificate it
/// signed for `localhost` and 127.0.0.1: what `demo --tls` serves, and
/// what its own prober trusts.
#[derive(Debug, Clone)]
pub struct Made {
    /// The authority's certificate, to trust.
    pub ca: CertificateDer<'static>,
    /// The authority's certificate as PEM (for `curl --cacert`, `--ca-file`).
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

/// Makes a certificate authority and a server certificate for `names`.
pub fn make_certificate(names: &[&str]) -> Result<Made, String> {
    let failed = |e: rcgen::Error| format!("cannot make a certificate: {e}");
    let ca_key = rcgen::KeyPair::generate().map_err(failed)?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "bluegreen demo CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).map_err(failed)?;
    let key = rcgen::KeyPair::generate().map_err(failed)?;
    let names: Vec<String> = names.iter().map(|n| (*n).to_string()).collect();
    let leaf = rcgen::CertificateParams::new(names).map_err(failed)?.signed_by(&key, &ca).map_err(failed)?;
    let server = server_config(vec![leaf.der().clone(), ca.der().clone()], key.serialize_der())?;
    Ok(Made { ca: ca.der().clone(), ca_pem: ca.pem(), server })
}

/// A server's TLS configuration for `chain` (leaf first) and its PKCS#8 key.
pub fn server_config(chain: Vec<CertificateDer<'static>>, pkcs8: Vec<u8>) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(pkcs8.into());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS cannot start: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("cannot serve that certificate: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
