//! Built-in TLS: rustls (with the `ring` provider: no C toolchain beyond
//! what `ring` itself needs, no cmake or nasm) from a PEM certificate chain
//! and a PEM private key, served by `axum-server`. Only TLS 1.2 and 1.3 with
//! rustls's safe defaults; HTTP/1.1 and HTTP/2 by ALPN.
//!
//! Errors say which file and what is wrong with it (unreadable, no
//! certificate, no key, key and certificate do not belong together), never
//! the key material.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How long requests in flight may take to finish once shutdown starts.
const GRACE: Duration = Duration::from_secs(30);

/// The PEM files of built-in TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key of the leaf certificate (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate file {}: {source}", path.display())]
    CertUnreadable { path: PathBuf, source: std::io::Error },
    #[error("cannot read the TLS key file {}: {source}", path.display())]
    KeyUnreadable { path: PathBuf, source: std::io::Error },
    #[error("the TLS certificate file {} holds no PEM certificate", path.display())]
    NoCertificate { path: PathBuf },
    #[error("the TLS key file {} holds no PEM private key", path.display())]
    NoKey { path: PathBuf },
    #[error("the TLS key does not belong to the certificate, or cannot be used with it: {0}")]
    Mismatch(rustls::Error),
}

fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// The server configuration for `files`: both read and parsed, and the key
/// checked against the certificate.
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let cert_pem = read(&files.cert).map_err(|source| TlsError::CertUnreadable {
        path: files.cert.clone(),
        source,
    })?;
    let key_pem = read(&files.key).map_err(|source| TlsError::KeyUnreadable {
        path: files.key.clone(),
        source,
    })?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|_| TlsError::NoCertificate {
            path: files.cert.clone(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: files.cert.clone(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::NoKey {
        path: files.key.clone(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // `keys_match` is explicit here rather than left to `with_single_cert`,
    // so that a key of another certificate is refused on every rustls 0.23.
    let signing_key = provider
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(TlsError::Mismatch)?;
    rustls::sign::CertifiedKey::new(chain.clone(), signing_key)
        .keys_match()
        .map_err(TlsError::Mismatch)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Mismatch)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(TlsError::Mismatch)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serve a router made by [`crate::app`] over TLS on `listener` until
/// `shutdown` completes (graceful, as [`crate::serve_router`]).
pub async fn serve_router_tls(
    router: axum::Router,
    listener: tokio::net::TcpListener,
    config: Arc<ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    let listener = listener.into_std()?;
    let handle = axum_server::Handle::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopping.graceful_shutdown(Some(GRACE));
    });
    tracing::info!(%address, "kinlink API listening with TLS");
    axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(config))?
        .handle(handle)
        .serve(router.into_make_service_with_connect_info::<SocketAddr>())
        .await?;
    tracing::info!("kinlink API stopped");
    Ok(())
}
