//! TLS to PostgreSQL as libpq does it: `prefer` and `require` encrypt without checking the
//! server's certificate, `sslrootcert=FILE` checks the certificate and host name against
//! that CA.

use std::sync::Arc;

/// Why TLS to PostgreSQL cannot be set up.
#[derive(Debug, thiserror::Error)]
pub(super) enum TlsError {
    #[error("no TLS protocol version: {0}")]
    Protocol(#[source] rustls::Error),
    #[error("cannot read sslrootcert {path}: {source}")]
    ReadRootCert {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("sslrootcert {path}: {source}")]
    BadPem {
        path: String,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("sslrootcert {path}: {source}")]
    BadCertificate {
        path: String,
        #[source]
        source: rustls::Error,
    },
}

pub(super) fn tls_connector(root_cert: Option<&str>) -> std::result::Result<tokio_postgres_rustls::MakeRustlsConnect, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Protocol)?;
    let config = match root_cert {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|source| TlsError::ReadRootCert { path: path.to_string(), source })?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
                let cert: rustls::pki_types::CertificateDer = cert.map_err(|source| TlsError::BadPem { path: path.to_string(), source })?;
                roots.add(cert).map_err(|source| TlsError::BadCertificate { path: path.to_string(), source })?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth(),
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// libpq's `sslmode=prefer`/`require` without a root certificate: the connection is
/// encrypted, the server's certificate is not checked (its signature over the handshake is).
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
