//! Development certificates for secure mode (`volley cert generate`): a private CA and a
//! server certificate it signs, both ECDSA P-256 so one key serves WSS and DTLS (the DTLS
//! server signs with P-256 only). The server file holds the leaf alone, keeping DTLS flights
//! small (protocol.md §7.2); the CA goes to clients as `caCert`. Production uses a public CA
//! instead.

use std::io::Write;
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use time::OffsetDateTime;

/// The CA lives long: reissuing it means redistributing it to every test client.
const CA_VALIDITY: Duration = Duration::from_secs(3650 * 24 * 3600);
/// Under the 397 days platforms accept for a server certificate.
const LEAF_VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);
/// Starting a little in the past tolerates clients whose clocks run slow.
const BACKDATE: Duration = Duration::from_secs(3600);

/// Why certificates could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum CertGenError {
    /// No name for the server certificate was given.
    #[error("give at least one DNS name or IP address for the server certificate")]
    NoNames,
    /// A name is neither an IP address nor a valid DNS name.
    #[error("{name:?} is not a DNS name or IP address: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// A file to write exists already and overwriting was not asked for.
    #[error("{} exists; pass --force to replace it", .0.display())]
    Exists(PathBuf),
    /// A file or the directory could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Key or certificate generation failed.
    #[error("cannot generate the certificates: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The files [`generate`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// The CA certificate (PEM): `tls.ca_file`, what clients trust.
    pub ca_cert: PathBuf,
    /// The CA's private key (PKCS#8 PEM), kept to sign again.
    pub ca_key: PathBuf,
    /// The server certificate, leaf only (PEM): `tls.cert_file`.
    pub server_cert: PathBuf,
    /// The server's private key (PKCS#8 PEM): `tls.key_file`.
    pub server_key: PathBuf,
}

impl Generated {
    fn in_dir(dir: &Path) -> Self {
        Self {
            ca_cert: dir.join("ca.pem"),
            ca_key: dir.join("ca.key"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
        }
    }

    fn all(&self) -> [&Path; 4] {
        [
            &self.ca_cert,
            &self.ca_key,
            &self.server_cert,
            &self.server_key,
        ]
    }
}

/// Writes a new CA and a server certificate for `names` (DNS names, or IP addresses) into
/// `dir`, creating it. Existing files are refused, before anything is written, unless
/// `force`. Key files are readable by their owner only.
pub fn generate(dir: &Path, names: &[String], force: bool) -> Result<Generated, CertGenError> {
    let subject_alt_names = names
        .iter()
        .map(|name| san(name))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = names.first() else {
        return Err(CertGenError::NoNames);
    };
    let files = Generated::in_dir(dir);
    if !force && let Some(existing) = files.all().into_iter().find(|path| path.exists()) {
        return Err(CertGenError::Exists(existing.to_owned()));
    }

    let now = OffsetDateTime::now_utc() - BACKDATE;
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name = common_name("Volley development CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = now;
    ca.not_after = now + CA_VALIDITY;
    let ca_cert = ca.self_signed(&ca_key)?;

    let server_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name = common_name(first);
    leaf.subject_alt_names = subject_alt_names;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    leaf.not_before = now;
    leaf.not_after = now + LEAF_VALIDITY;
    let server_cert = leaf.signed_by(&server_key, &ca_cert, &ca_key)?;

    std::fs::create_dir_all(dir).map_err(|source| CertGenError::Write {
        path: dir.to_owned(),
        source,
    })?;
    write(&files.ca_key, &ca_key.serialize_pem(), true)?;
    write(&files.ca_cert, &ca_cert.pem(), false)?;
    write(&files.server_key, &server_key.serialize_pem(), true)?;
    write(&files.server_cert, &server_cert.pem(), false)?;
    Ok(files)
}

fn san(name: &str) -> Result<SanType, CertGenError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let invalid = |reason: String| CertGenError::InvalidName {
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(invalid("empty or contains blanks".into()));
    }
    let ia5 = name
        .try_into()
        .map_err(|e: rcgen::Error| invalid(e.to_string()))?;
    Ok(SanType::DnsName(ia5))
}

fn common_name(name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    dn
}

/// Writes `content` to a new file; a secret one is created with mode 0600 so no other user
/// can read it even for a moment. An old file is removed first so its mode does not carry over.
fn write(path: &Path, content: &str, secret: bool) -> Result<(), CertGenError> {
    let failed = |source| CertGenError::Write {
        path: path.to_owned(),
        source,
    };
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(e)),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    if secret {
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(failed)?;
    file.write_all(content.as_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    struct Dir(PathBuf);

    impl Dir {
        fn new() -> Self {
            Self(std::env::temp_dir().join(format!("volley-certgen-{}", uuid::Uuid::new_v4())))
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn names() -> Vec<String> {
        vec!["localhost".into(), "127.0.0.1".into()]
    }

    #[test]
    fn writes_four_pem_files_with_private_keys() {
        let dir = Dir::new();
        let files = generate(&dir.0, &names(), false).expect("ok");
        for path in files.all() {
            let text = std::fs::read_to_string(path).expect("ok");
            assert!(text.starts_with("-----BEGIN "), "{}", path.display());
        }
        for key in [&files.ca_key, &files.server_key] {
            let text = std::fs::read_to_string(key).expect("ok");
            assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"));
            let mode = std::fs::metadata(key).expect("ok").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", key.display());
        }
        let leaf = std::fs::read_to_string(&files.server_cert).expect("ok");
        assert_eq!(leaf.matches("BEGIN CERTIFICATE").count(), 1, "leaf only");
    }

    #[test]
    fn refuses_to_overwrite_without_force() {
        let dir = Dir::new();
        let first = generate(&dir.0, &names(), false).expect("ok");
        let before = std::fs::read(&first.server_key).expect("ok");
        let err = generate(&dir.0, &names(), false).expect_err("refused");
        assert!(matches!(err, CertGenError::Exists(_)), "{err}");
        assert_eq!(std::fs::read(&first.server_key).expect("ok"), before);

        let again = generate(&dir.0, &names(), true).expect("ok");
        assert_ne!(std::fs::read(&again.server_key).expect("ok"), before);
    }

    #[test]
    fn refuses_when_any_one_file_exists_and_writes_nothing() {
        let dir = Dir::new();
        std::fs::create_dir_all(&dir.0).expect("ok");
        std::fs::write(dir.0.join("server.key"), "mine").expect("ok");
        let err = generate(&dir.0, &names(), false).expect_err("refused");
        assert!(err.to_string().contains("server.key"), "{err}");
        assert!(!dir.0.join("ca.pem").exists());
        assert_eq!(
            std::fs::read(dir.0.join("server.key")).expect("ok"),
            b"mine"
        );
    }

    #[test]
    fn refuses_no_names_and_bad_names() {
        let dir = Dir::new();
        assert!(matches!(
            generate(&dir.0, &[], false),
            Err(CertGenError::NoNames)
        ));
        let err = generate(&dir.0, &["bad name".into()], false).expect_err("refused");
        assert!(matches!(err, CertGenError::InvalidName { .. }), "{err}");
        assert!(!dir.0.exists());
    }
}
