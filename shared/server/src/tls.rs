//! HTTPS for the HTTP transport: a TLS 1.3-only rustls configuration from PEM files, and the listener that hands axum finished handshakes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The variable (and flag) naming the certificate chain's PEM file.
pub const CERT_VAR: &str = "PROMPTSALES_TLS_CERT";
/// The variable (and flag) naming the private key's PEM file.
pub const KEY_VAR: &str = "PROMPTSALES_TLS_KEY";

/// A client has this long to finish its handshake; a silent one must not
/// hold a task and a socket forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Finished handshakes waiting for axum to take them.
const ACCEPT_BACKLOG: usize = 256;

/// Why the TLS configuration cannot be used; each names its variable.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(
        "{set} is set but {missing} is not: HTTPS needs both the certificate chain and its private key (PEM files)"
    )]
    Incomplete {
        set: &'static str,
        missing: &'static str,
    },
    #[error("{var}: cannot read {path}: {source}")]
    Read {
        var: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{var}: {path} holds no usable {what} ({detail})")]
    Pem {
        var: &'static str,
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    #[error("{CERT_VAR} / {KEY_VAR}: the certificate and key cannot be used together: {0}")]
    Rejected(rustls::Error),
}

/// The rustls server configuration for `cert` and `key` (PEM paths), or
/// `None` when neither is given (plain HTTP). Only TLS 1.3 is offered, so
/// a client limited to TLS 1.2 or older fails its handshake; ALPN offers
/// HTTP/1.1 only because the server speaks no HTTP/2.
pub fn server_config(
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<Option<Arc<ServerConfig>>, TlsError> {
    let (cert, key) = match (cert, key) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(TlsError::Incomplete {
                set: CERT_VAR,
                missing: KEY_VAR,
            });
        }
        (None, Some(_)) => {
            return Err(TlsError::Incomplete {
                set: KEY_VAR,
                missing: CERT_VAR,
            });
        }
        (Some(c), Some(k)) => (c, k),
    };
    let chain = read_chain(cert)?;
    let key = read_key(key)?;
    // The provider is named rather than taken from the process default so
    // a second provider feature elsewhere in the tree cannot make the
    // choice ambiguous (rustls would panic on start).
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(TlsError::Rejected)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(TlsError::Rejected)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(config)))
}

fn read(var: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        var,
        path: path.to_owned(),
        source,
    })
}

/// The certificate chain, leaf first, as the PEM file lists it.
fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(CERT_VAR, path)?;
    let pem_error = |detail: String| TlsError::Pem {
        var: CERT_VAR,
        path: path.to_owned(),
        what: "certificate",
        detail,
    };
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(e.to_string()))?;
    if chain.is_empty() {
        return Err(pem_error("no BEGIN CERTIFICATE section".into()));
    }
    Ok(chain)
}

/// The first private key of the file (PKCS#8, PKCS#1 or SEC1).
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(KEY_VAR, path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| TlsError::Pem {
        var: KEY_VAR,
        path: path.to_owned(),
        what: "private key",
        detail: match e {
            rustls::pki_types::pem::Error::NoItemsFound => "no BEGIN … PRIVATE KEY section".into(),
            other => other.to_string(),
        },
    })
}

/// A listener whose connections have finished their TLS handshake.
/// Handshakes run in their own tasks, so one slow or hostile client never
/// holds up the others; failed ones (a TLS 1.2 client, plain HTTP) are
/// dropped and logged at debug level.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor: JoinHandle<()>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(ACCEPT_BACKLOG);
        let acceptor = tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(Self {
            ready,
            local,
            acceptor,
        })
    }
}

impl Drop for TlsListener {
    /// Stops accepting once axum lets go of the listener (shutdown).
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = match tcp.accept().await {
            Ok(c) => c,
            Err(e) => {
                // As axum's own TCP listener: a connection error concerns
                // that connection only; anything else (out of file
                // descriptors) is worth a pause before retrying.
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                ) {
                    tracing::error!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                continue;
            }
        };
        // Without TCP_NODELAY Nagle's algorithm delays small JSON
        // responses by ~40 ms against delayed-ACK clients.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    // A closed channel means the server is shutting down.
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept loop never ends on its own; should it ever stop,
            // no connection will come again.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neither_file_is_plain_http_and_one_alone_names_the_other() {
        assert!(server_config(None, None).unwrap().is_none());
        let e = server_config(Some(Path::new("/x/cert.pem")), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("PROMPTSALES_TLS_CERT is set but PROMPTSALES_TLS_KEY is not"),
            "{e}"
        );
        let e = server_config(None, Some(Path::new("/x/key.pem")))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("PROMPTSALES_TLS_KEY is set but PROMPTSALES_TLS_CERT is not"),
            "{e}"
        );
    }

    #[test]
    fn unreadable_or_empty_files_name_their_variable() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a pem file\n").unwrap();
        let refusal = |cert: &Path, key: &Path| {
            server_config(Some(cert), Some(key))
                .unwrap_err()
                .to_string()
        };
        let unreadable = refusal(&missing, &empty);
        assert!(
            unreadable.starts_with("PROMPTSALES_TLS_CERT: cannot read")
                && unreadable.contains("missing.pem"),
            "{unreadable}"
        );
        // The certificate is read first, so its error is the one reported.
        let not_pem = refusal(&empty, &missing);
        assert!(
            not_pem.starts_with("PROMPTSALES_TLS_CERT:")
                && not_pem.contains("no usable certificate"),
            "{not_pem}"
        );
    }
}
