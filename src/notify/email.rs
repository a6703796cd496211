//! E-mail over SMTP (lettre on rustls): the run summary as plain text and HTML, the
//! rejects attached as CSV.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::config::{EmailConfig, SmtpTls};
use super::rejects::RejectsCsv;
use super::secret::{self, SecretError};
use super::summary::RunSummary;

/// Why a message could not be sent (or the server reached). Never holds the password.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("the SMTP password: {0}")]
    Password(#[from] SecretError),
    #[error("[notify.email] user is set but neither password_env nor password_file")]
    NoPassword,
    #[error("cannot read the CA file {}: {source}", path.display())]
    CaFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS settings: {0}")]
    Tls(#[source] lettre::transport::smtp::Error),
    #[error("'{value}' is not an e-mail address: {source}")]
    Address {
        value: String,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error("[notify.email] recipients is empty")]
    NoRecipients,
    #[error("cannot build the message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("{0}")]
    Smtp(#[source] lettre::transport::smtp::Error),
}

/// A configured SMTP channel.
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    to: Vec<Mailbox>,
    target: String,
}

fn mailbox(value: &str) -> Result<Mailbox, EmailError> {
    value.parse().map_err(|source| EmailError::Address { value: value.to_string(), source })
}

impl Mailer {
    /// Reads the password and the CA file and prepares the transport (no connection yet).
    pub fn new(config: &EmailConfig) -> Result<Self, EmailError> {
        let from = mailbox(&config.from)?;
        let to = config.recipients.iter().map(|r| mailbox(r)).collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(EmailError::NoRecipients);
        }
        let tls_parameters = || -> Result<TlsParameters, EmailError> {
            let mut builder = TlsParameters::builder(config.server.clone());
            if let Some(path) = &config.ca_file {
                let pem = std::fs::read(path).map_err(|source| EmailError::CaFile { path: path.clone(), source })?;
                // The company's CA replaces the public ones: a server is trusted for what
                // this file says, nothing else.
                builder = builder
                    .certificate_store(CertificateStore::None)
                    .add_root_certificate(Certificate::from_pem(&pem).map_err(EmailError::Tls)?);
            } else {
                builder = builder.certificate_store(CertificateStore::WebpkiRoots);
            }
            builder.build_rustls().map_err(EmailError::Tls)
        };
        let tls = match config.tls {
            SmtpTls::Starttls => Tls::Required(tls_parameters()?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
            SmtpTls::None => Tls::None,
        };
        let mut builder = SmtpTransport::builder_dangerous(config.server.clone())
            .port(config.port())
            .tls(tls)
            .timeout(Some(config.timeout()));
        if let Some(user) = &config.user {
            let password = secret::password(config.password_env.as_deref(), config.password_file.as_deref())?
                .ok_or(EmailError::NoPassword)?;
            builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
        }
        let scheme = match config.tls {
            SmtpTls::Tls => "smtps",
            _ => "smtp",
        };
        Ok(Mailer { transport: builder.build(), from, to, target: format!("{scheme}://{}:{}", config.server, config.port()) })
    }

    /// The server, as messages name it.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Connects, secures the connection and authenticates, then quits without sending.
    pub fn check(&self) -> Result<(), EmailError> {
        self.transport.test_connection().map(|_| ()).map_err(EmailError::Smtp)
    }

    /// Sends `summary` to every recipient, with `rejects` attached when given.
    pub fn send(&self, summary: &RunSummary, rejects: Option<&RejectsCsv>) -> Result<(), EmailError> {
        let note = rejects.map(|r| r.note(summary.run_id.unwrap_or(0)));
        let body = MultiPart::alternative_plain_html(summary.text(note.as_deref()), summary.html(note.as_deref()));
        let mut builder = Message::builder().from(self.from.clone()).subject(summary.subject.clone());
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let message = match rejects {
            Some(r) => {
                let csv = ContentType::parse("text/csv; charset=utf-8").expect("a valid content type");
                let attachment: SinglePart = Attachment::new(r.file_name.clone()).body(r.bytes.clone(), csv);
                builder.multipart(MultiPart::mixed().multipart(body).singlepart(attachment))?
            }
            None => builder.multipart(body)?,
        };
        self.transport.send(&message).map(|_| ()).map_err(EmailError::Smtp)
    }
}
