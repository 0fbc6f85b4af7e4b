//! Logging in: SCRAM-SHA-256 against [`Users`], or open on loopback when no users are
//! configured, and the connection limit checked at start-up.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::{DefaultServerParameterProvider, StartupHandler};
use pgwire::api::{ClientInfo, ConnectionManager, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

pub(super) fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_string(),
        code.to_string(),
        message,
    )))
}

pub(super) enum Login {
    Scram(Box<SASLAuthStartupHandler<DefaultServerParameterProvider>>),
    Open(OpenLogin),
}

/// Login without a password (no users configured, loopback only).
pub(super) struct OpenLogin {
    pub(super) connections: Arc<ConnectionManager>,
}

impl NoopStartupHandler for OpenLogin {
    fn connection_manager(&self) -> Option<Arc<ConnectionManager>> {
        Some(Arc::clone(&self.connections))
    }
}

pub(super) struct Startup {
    pub(super) login: Login,
    pub(super) admitted: bool,
    pub(super) require_tls: bool,
    pub(super) max_connections: usize,
    /// Set once the client is logged in, which ends its start-up timeout.
    pub(super) logged_in: Arc<tokio::sync::watch::Sender<bool>>,
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if matches!(message, PgWireFrontendMessage::Startup(_)) {
            if !self.admitted {
                return Err(fatal(
                    "53300",
                    format!(
                        "sorry, too many clients already: this server accepts {} connections \
                         at once (--max-connections)",
                        self.max_connections
                    ),
                ));
            }
            if self.require_tls && !client.is_secure() {
                return Err(fatal(
                    "28000",
                    "this server requires an encrypted connection (--require-tls): connect \
                     with sslmode=require"
                        .to_string(),
                ));
            }
        }
        match &self.login {
            Login::Scram(handler) => handler.on_startup(client, message).await?,
            Login::Open(handler) => handler.on_startup(client, message).await?,
        }
        if matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            self.logged_in.send_replace(true);
        }
        Ok(())
    }
}
