//! Listening and accepting: the checks made before the first client (users on non-loopback
//! addresses, TLS files), the connection limit, and a watch on each socket so that a query
//! whose client has gone is stopped at once rather than when its result is sent.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use pgwire::api::ConnectionManager;
use tokio::io::Interest;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use super::context::Contexts;
use super::error::ServeError;
use super::handlers::{ConnectionHandlers, Shared};
use super::options::ServeOptions;
use super::users::Users;

/// A server bound to its address, ready to accept clients.
pub struct Server {
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    contexts: Arc<Contexts>,
    slots: Arc<Semaphore>,
    startup_timeout: Duration,
}

impl Server {
    /// Check the options, build the context and bind. Everything that can make the server
    /// unsafe or useless is an error here, before any client is accepted.
    pub async fn bind(options: &ServeOptions) -> Result<Self, ServeError> {
        let users = match &options.users_file {
            Some(path) => Users::from_file(path)?,
            None => Users::from_env()?.unwrap_or_else(Users::none),
        };
        if users.is_empty() && !is_loopback(&options.host).await {
            return Err(ServeError::OpenToNetwork {
                host: options.host.clone(),
            });
        }
        let tls = match (&options.tls_cert, &options.tls_key) {
            (Some(cert), Some(key)) => Some(super::tls::load(cert, key)?),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ServeError::Tls("--tls-cert needs --tls-key".to_string()));
            }
            (None, Some(_)) => {
                return Err(ServeError::Tls("--tls-key needs --tls-cert".to_string()));
            }
        };
        if options.require_tls && tls.is_none() {
            return Err(ServeError::Tls(
                "--require-tls needs --tls-cert and --tls-key".to_string(),
            ));
        }
        let contexts = Contexts::new(options).await?;
        let address = format!("{}:{}", options.host, options.port);
        let listener = TcpListener::bind(&address)
            .await
            .map_err(|source| ServeError::Bind { address, source })?;
        let shared = Shared {
            users: Arc::new(users),
            tls_cert_pem: tls.as_ref().map(|t| t.cert_pem.clone()),
            require_tls: options.require_tls,
            connections: Arc::new(ConnectionManager::new()),
            statement_timeout: options.statement_timeout,
            max_query_bytes: options.max_query_bytes,
            max_connections: options.max_connections,
        };
        Ok(Self {
            listener,
            tls: tls.map(|t| t.acceptor),
            shared: Arc::new(shared),
            contexts: Arc::new(contexts),
            slots: Arc::new(Semaphore::new(options.max_connections)),
            startup_timeout: options.startup_timeout,
        })
    }

    /// The address actually bound (the port is chosen by the system for `--port 0`).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// One line for the operator: where, how clients log in, what is served.
    pub fn describe(&self) -> String {
        let address = self
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| "?".to_string());
        let login = if self.shared.users.is_empty() {
            "no password (no users configured; loopback only)".to_string()
        } else {
            format!("SCRAM-SHA-256 for {}", self.shared.users.names().join(", "))
        };
        let tls = match (&self.tls, self.shared.require_tls) {
            (None, _) => "off",
            (Some(_), false) => "on",
            (Some(_), true) => "required",
        };
        format!(
            "listening on {address}; login: {login}; TLS: {tls}; tables: {}",
            if self.contexts.tables.is_empty() {
                "(none)".to_string()
            } else {
                self.contexts.tables.join(", ")
            }
        )
    }

    /// Accept clients until Ctrl-C or SIGTERM.
    pub async fn run(self) -> Result<(), ServeError> {
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                _ = &mut shutdown => {
                    eprintln!("segql serve: shutting down");
                    return Ok(());
                }
            };
            match accepted {
                Ok((socket, peer)) => self.spawn_connection(socket, peer),
                // Out of file descriptors and the like: wait, and keep serving the others.
                Err(e) => {
                    eprintln!("segql serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn spawn_connection(&self, socket: TcpStream, peer: SocketAddr) {
        let permit = Arc::clone(&self.slots).try_acquire_owned().ok();
        let ctx = match self.contexts.for_connection() {
            Ok(ctx) => ctx,
            Err(e) => {
                eprintln!("segql serve: {peer}: cannot set up a session: {e}");
                return;
            }
        };
        let (closed_tx, closed_rx) = watch::channel(false);
        let (socket, watcher) = match split_watch(socket) {
            Ok(pair) => pair,
            Err(e) => {
                eprintln!("segql serve: {peer}: {e}");
                return;
            }
        };
        let (logged_in_tx, logged_in) = watch::channel(false);
        let handlers = ConnectionHandlers::new(
            Arc::clone(&self.shared),
            ctx,
            permit.is_some(),
            closed_rx,
            Arc::new(logged_in_tx),
        );
        let tls = self.tls.clone();
        let startup_timeout = self.startup_timeout;
        tokio::spawn(async move {
            let watch_task = tokio::spawn(watch_disconnect(watcher, closed_tx));
            tokio::select! {
                served = pgwire::tokio::process_socket(socket, tls, handlers) => {
                    if let Err(e) = served {
                        eprintln!("segql serve: {peer}: connection closed: {e}");
                    }
                }
                () = startup_deadline(startup_timeout, logged_in) => {
                    eprintln!(
                        "segql serve: {peer}: not logged in within {} s (--startup-timeout); disconnected",
                        startup_timeout.as_secs_f64()
                    );
                }
            }
            // The watcher holds a second descriptor of the socket: end it so the socket closes.
            watch_task.abort();
            drop(permit);
        });
    }
}

/// Bind and serve until shut down, printing where to [`Server::describe`] on stderr.
pub async fn serve(options: &ServeOptions) -> Result<(), ServeError> {
    let server = Server::bind(options).await?;
    eprintln!("segql serve: {}", server.describe());
    server.run().await
}

/// The socket, and a second handle on it that only watches for the peer closing.
fn split_watch(socket: TcpStream) -> std::io::Result<(TcpStream, TcpStream)> {
    let std_socket = socket.into_std()?;
    let second = std_socket.try_clone()?;
    Ok((
        TcpStream::from_std(std_socket)?,
        TcpStream::from_std(second)?,
    ))
}

/// Ends when `timeout` passes before the client is logged in; never ends once it is.
async fn startup_deadline(timeout: Duration, mut logged_in: watch::Receiver<bool>) {
    let in_time = tokio::time::timeout(timeout, logged_in.wait_for(|&logged_in| logged_in))
        .await
        .is_ok_and(|waited| waited.is_ok());
    if in_time {
        std::future::pending::<()>().await;
    }
}

/// Set `closed` when the peer shuts its side (FIN or reset). Never reads: the protocol
/// handler owns the bytes.
async fn watch_disconnect(watcher: TcpStream, closed: watch::Sender<bool>) {
    loop {
        match watcher.ready(Interest::READABLE).await {
            Ok(ready) if ready.is_read_closed() || ready.is_error() => break,
            Ok(_) => {
                // Bytes are waiting for the handler; look again for the peer's FIN shortly.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(_) => break,
        }
    }
    let _ = closed.send(true);
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Whether every address `host` names is a loopback address.
async fn is_loopback(host: &str) -> bool {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return ip.is_loopback();
    }
    match tokio::net::lookup_host((host, 0)).await {
        Ok(addresses) => {
            let addresses: Vec<SocketAddr> = addresses.collect();
            !addresses.is_empty() && addresses.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}
