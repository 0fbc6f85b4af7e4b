//! TLS for `segql serve --tls-cert cert.pem --tls-key key.pem`. Every failure here stops the
//! server: there is no silent fallback to plaintext.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;

use super::error::ServeError;

/// The protocol name Postgres clients offer when they open TLS directly (`sslnegotiation=direct`).
const POSTGRES_ALPN: &[u8] = b"postgresql";

/// The certificate chain and key, read and checked.
pub struct TlsFiles {
    /// The acceptor for new connections.
    pub acceptor: TlsAcceptor,
    /// The certificate PEM, for SCRAM channel binding (`SCRAM-SHA-256-PLUS`).
    pub cert_pem: Vec<u8>,
}

/// Load a PEM certificate chain and private key (PKCS#8, PKCS#1 or SEC1).
pub fn load(cert: &Path, key: &Path) -> Result<TlsFiles, ServeError> {
    let cert_pem = std::fs::read(cert)
        .map_err(|e| ServeError::Tls(format!("--tls-cert {}: {e}", cert.display())))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::Tls(format!("--tls-cert {}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(ServeError::Tls(format!(
            "--tls-cert {}: no PEM certificate in the file",
            cert.display()
        )));
    }
    let key_pem = std::fs::read(key)
        .map_err(|e| ServeError::Tls(format!("--tls-key {}: {e}", key.display())))?;
    let private_key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        ServeError::Tls(format!(
            "--tls-key {}: no usable PEM private key ({e})",
            key.display()
        ))
    })?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| {
            ServeError::Tls(format!(
                "--tls-cert {} and --tls-key {} do not make a usable pair: {e}",
                cert.display(),
                key.display()
            ))
        })?;
    config.alpn_protocols = vec![POSTGRES_ALPN.to_vec()];
    Ok(TlsFiles {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_pem,
    })
}
