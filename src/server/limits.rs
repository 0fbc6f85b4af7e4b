//! Stopping a running statement: past its timeout, on a Postgres cancel request, or when its
//! client has gone. A [`QueryGuard`] watches all three; [`guard_response`] makes a result stream
//! end with the matching Postgres error, which drops the DataFusion stream under it and with it
//! every operator, spill file and running fit (a fit stops within one iteration).
//!
//! ```sql
//! SET statement_timeout = '2s';                        -- lowers the server's --statement-timeout
//! SELECT * FROM kmeans_fit(rfm(big_sales), 8);         -- ERROR 57014 after 2 s
//! ```

use std::time::Duration;

use futures::StreamExt;
use futures::channel::oneshot;
use pgwire::api::ClientInfo;
use pgwire::api::ConnectionHandle;
use pgwire::api::results::{Response, SendableRowStream};
use pgwire::error::{ErrorInfo, PgWireError};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::time::Instant;

/// The client metadata key under which datafusion-postgres keeps `SET statement_timeout`.
const CLIENT_TIMEOUT_KEY: &str = "statement_timeout_ms";

/// Why a statement was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The statement ran past its timeout.
    TimedOut(Duration),
    /// A cancel request (psql's Ctrl-C, `pg_cancel_backend` from a driver) arrived.
    Cancelled,
    /// The client closed its connection.
    Disconnected,
}

impl StopReason {
    /// The Postgres error for the client: SQLSTATE 57014 as Postgres sends it.
    pub fn to_error(self) -> PgWireError {
        let message = match self {
            StopReason::TimedOut(limit) => format!(
                "canceling statement due to statement timeout ({} ms; lower it with SET \
                 statement_timeout, raise the server's with --statement-timeout)",
                limit.as_millis()
            ),
            StopReason::Cancelled => "canceling statement due to user request".to_string(),
            StopReason::Disconnected => "canceling statement: the client disconnected".to_string(),
        };
        PgWireError::UserError(Box::new(ErrorInfo::new(
            "ERROR".to_string(),
            "57014".to_string(),
            message,
        )))
    }
}

/// Watches one statement for its deadline, a cancel request and the client leaving.
///
/// pgwire itself answers a cancel request that arrives while a statement is being planned;
/// once rows are being sent, the guard takes over the connection's cancel handle (see
/// [`guard_response`]).
pub struct QueryGuard {
    deadline: Option<(Instant, Duration)>,
    closed: watch::Receiver<bool>,
    handle: Option<Arc<ConnectionHandle>>,
    cancel: Option<oneshot::Receiver<()>>,
}

impl Clone for QueryGuard {
    /// The same deadline, client and handle; a clone takes the cancel handle anew.
    fn clone(&self) -> Self {
        Self {
            deadline: self.deadline,
            closed: self.closed.clone(),
            handle: self.handle.clone(),
            cancel: None,
        }
    }
}

impl QueryGuard {
    /// Start watching a statement of `client`: the timeout is the smaller of the server's and
    /// the client's `SET statement_timeout`; `closed` turns true when the client's socket closes.
    pub fn start<C: ClientInfo + ?Sized>(
        client: &C,
        server_timeout: Option<Duration>,
        closed: watch::Receiver<bool>,
    ) -> Self {
        let client_timeout = client
            .metadata()
            .get(CLIENT_TIMEOUT_KEY)
            .and_then(|ms| ms.parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
        let timeout = match (server_timeout, client_timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Self {
            deadline: timeout.map(|t| (Instant::now() + t, t)),
            closed,
            // pgwire keeps the handle as an `Arc<ConnectionHandle>` extension.
            handle: client
                .session_extensions()
                .get::<Arc<ConnectionHandle>>()
                .map(|shared| Arc::clone(shared.as_ref())),
            cancel: None,
        }
    }

    /// Listen for cancel requests from now on (replacing pgwire's listener, which only
    /// covers planning).
    async fn take_cancel_handle(&mut self) {
        if self.cancel.is_none()
            && let Some(handle) = &self.handle
        {
            self.cancel = Some(handle.start_query().await);
        }
    }

    /// Resolves when the statement must stop, with the reason.
    pub async fn stopped(&mut self) -> StopReason {
        let Self {
            deadline,
            closed,
            cancel,
            ..
        } = self;
        let deadline = async {
            match deadline {
                Some((at, limit)) => {
                    tokio::time::sleep_until(*at).await;
                    *limit
                }
                None => std::future::pending().await,
            }
        };
        let cancelled = async {
            if let Some(receiver) = cancel.as_mut() {
                if receiver.await.is_ok() {
                    return;
                }
                // Replaced by a later statement's listener: no cancel can come this way.
                *cancel = None;
            }
            std::future::pending::<()>().await
        };
        tokio::select! {
            limit = deadline => StopReason::TimedOut(limit),
            _ = cancelled => StopReason::Cancelled,
            _ = wait_true(closed) => StopReason::Disconnected,
        }
    }
}

/// Resolves when the flag turns true; never, if its sender is gone first.
async fn wait_true(flag: &mut watch::Receiver<bool>) {
    if flag.wait_for(|set| *set).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// `response` with its rows ending in the guard's error when the guard fires.
pub fn guard_response(response: Response, guard: QueryGuard) -> Response {
    match response {
        Response::Query(mut query) => {
            let rows = std::mem::replace(&mut query.data_rows, Box::pin(futures::stream::empty()));
            query.data_rows = guard_rows(rows, guard);
            Response::Query(query)
        }
        other => other,
    }
}

fn guard_rows(rows: SendableRowStream, guard: QueryGuard) -> SendableRowStream {
    Box::pin(futures::stream::unfold(
        Some((rows, guard)),
        |state| async move {
            let (mut rows, mut guard) = state?;
            guard.take_cancel_handle().await;
            tokio::select! {
                biased;
                reason = guard.stopped() => Some((Err(reason.to_error()), None)),
                item = rows.next() => {
                    let item = item?;
                    Some((item, Some((rows, guard))))
                }
            }
        },
    ))
}

/// The error for a statement text over `--max-query-bytes`: SQLSTATE 54000, as Postgres
/// reports statements too long to take.
pub fn query_too_long(bytes: usize, limit: usize) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        "54000".to_string(),
        format!(
            "the statement is {bytes} bytes long; this server accepts at most {limit} bytes \
             (--max-query-bytes)"
        ),
    )))
}
