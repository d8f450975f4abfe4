//! The server's certificate for secure mode (protocol.md §7): one PEM chain and
//! key serve the WSS listener (rustls), the DTLS server on `fastPort` (webrtc-dtls) and,
//! optionally, the control API. [`CertStore`] holds the loaded credentials and swaps them on
//! [`CertStore::reload`], so renewed certificates take effect without a restart: new TLS and
//! DTLS handshakes use the new ones, established connections keep theirs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use webrtc_dtls::cipher_suite::CipherSuiteId;

use crate::config::TlsConfig;

/// Why the certificate files could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file's content is not what it must be.
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The loaded certificate, in the forms each protocol needs.
pub struct Credentials {
    /// Chain and key for rustls (WSS, HTTPS).
    pub tls: Arc<CertifiedKey>,
    /// The same chain and key for the DTLS server.
    pub dtls: webrtc_dtls::crypto::Certificate,
    /// PEM of the certificates that anchor the chain: LOGIN_RESULT's `caCert` (protocol.md §5.2),
    /// the only trust anchors of the C# client's DTLS (protocol.md §7.3).
    pub ca_pem: Arc<str>,
}

/// The current credentials, replaced as a whole on reload.
pub struct CertStore {
    files: TlsConfig,
    current: RwLock<Arc<Credentials>>,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertStore")
            .field("cert_file", &self.files.cert_file)
            .finish_non_exhaustive()
    }
}

impl CertStore {
    /// Loads the files named by `files`.
    pub fn open(files: TlsConfig) -> Result<Self, TlsError> {
        let credentials = load(&files)?;
        Ok(Self {
            files,
            current: RwLock::new(Arc::new(credentials)),
        })
    }

    /// The credentials new handshakes use.
    pub fn current(&self) -> Arc<Credentials> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reads the files again and, if they are valid, uses them from now on; on an error the
    /// credentials in use stay.
    pub fn reload(&self) -> Result<(), TlsError> {
        let credentials = Arc::new(load(&self.files)?);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = credentials;
        Ok(())
    }

    /// A rustls server configuration (TLS 1.2 and 1.3, as the C# and Kotlin clients need
    /// 1.2) whose certificate follows this store.
    pub fn server_config(self: &Arc<Self>) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Resolver(Arc::clone(self))));
        Arc::new(config)
    }

    /// A DTLS 1.2 server configuration with the current certificate.
    pub fn dtls_config(&self) -> webrtc_dtls::config::Config {
        webrtc_dtls::config::Config {
            certificates: vec![self.current().dtls.clone()],
            cipher_suites: DTLS_CIPHER_SUITES.to_vec(),
            ..Default::default()
        }
    }
}

/// The DTLS cipher suites offered: every ECDSA suite webrtc-dtls implements. The C# client's
/// mbedtls 2.x default list includes all of them; AES-128-GCM is the one it prefers that
/// is implemented here (protocol.md §7.2).
pub const DTLS_CIPHER_SUITES: [CipherSuiteId; 4] = [
    CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256,
    CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_256_Cbc_Sha,
    CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm,
    CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Ccm_8,
];

#[derive(Debug)]
struct Resolver(Arc<CertStore>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0.current().tls))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn invalid(path: &Path, reason: impl Into<String>) -> TlsError {
    TlsError::Invalid {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Reads and checks the chain, the key and the anchors.
fn load(files: &TlsConfig) -> Result<Credentials, TlsError> {
    let (cert_path, key_path) = (&files.cert_file, &files.key_file);
    let chain_pem = read(cert_path)?;
    let chain = CertificateDer::pem_slice_iter(&chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(cert_path, format!("not a PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(invalid(cert_path, "holds no CERTIFICATE block"));
    }
    let key_pem = read(key_path)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| invalid(key_path, format!("not a PEM private key: {e}")))?;
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let tls = CertifiedKey::from_der(chain.clone(), key, &provider).map_err(|e| {
        invalid(
            key_path,
            format!("does not fit {}: {e}", cert_path.display()),
        )
    })?;
    let dtls = dtls_certificate(key_path, &key_pem, chain.clone())?;
    let ca_pem = match &files.ca_file {
        Some(ca_path) => {
            let text =
                String::from_utf8(read(ca_path)?).map_err(|_| invalid(ca_path, "is not text"))?;
            let anchors = CertificateDer::pem_slice_iter(text.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid(ca_path, format!("not PEM certificates: {e}")))?;
            if anchors.is_empty() || !text.is_ascii() {
                return Err(invalid(ca_path, "must hold ASCII PEM CERTIFICATE blocks"));
            }
            text
        }
        // The top of the chain: the CA itself when the chain includes it, or a self-signed
        // leaf.
        None => to_pem(chain.last().expect("the chain is not empty")),
    };
    Ok(Credentials {
        tls: Arc::new(tls),
        dtls,
        ca_pem: ca_pem.into(),
    })
}

/// The chain and key as webrtc-dtls takes them; its server signs with ECDSA P-256 only.
fn dtls_certificate(
    key_path: &Path,
    key_pem: &[u8],
    chain: Vec<CertificateDer<'static>>,
) -> Result<webrtc_dtls::crypto::Certificate, TlsError> {
    let text = std::str::from_utf8(key_pem).map_err(|_| invalid(key_path, "is not text"))?;
    let key_pair = rcgen::KeyPair::from_pem(text).map_err(|e| {
        invalid(
            key_path,
            format!(
                "not a PKCS#8 key ({e}); convert it with \
                 `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8`"
            ),
        )
    })?;
    if !key_pair.is_compatible(&rcgen::PKCS_ECDSA_P256_SHA256) {
        return Err(invalid(
            key_path,
            "secure mode needs an ECDSA P-256 key (the DTLS server signs with P-256 only)",
        ));
    }
    let private_key = webrtc_dtls::crypto::CryptoPrivateKey::from_key_pair(&key_pair)
        .map_err(|e| invalid(key_path, e.to_string()))?;
    Ok(webrtc_dtls::crypto::Certificate {
        certificate: chain,
        private_key,
    })
}

/// One certificate as PEM text.
fn to_pem(cert: &CertificateDer<'_>) -> String {
    pem::encode(&pem::Pem::new("CERTIFICATE", cert.as_ref().to_vec())).replace("\r\n", "\n")
}
