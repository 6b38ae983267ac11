//! `GET /api/v1/events`: server-sent events of run and stage status changes and log
//! lines, for everything or one run. Each event's id is a [`Cursor`]; a client that
//! reconnects with `Last-Event-ID` (browsers do this by themselves) or `?after=`
//! continues right after it, with no gap and no duplicate.
//!
//! Without a cursor, a subscription to one run starts at the run's beginning (its whole
//! history, then live), and a subscription to everything starts now.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use utoipa::IntoParams;

use super::error::{ApiError, ApiResult};
use super::extract::ApiQuery;
use super::runs::find_run;
use super::state::ApiState;
use crate::live::{Cursor, Hub, Update, read_after};

/// What to follow.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only this run's events.
    pub run: Option<String>,
    /// Continue after this event id (as `Last-Event-ID` does; the header wins).
    pub after: Option<String>,
    /// Leave log lines out (statuses only).
    pub no_logs: Option<bool>,
}

/// Events a subscriber may have waiting before the server stops reading for it.
const BUFFER: usize = 512;

/// Streams status changes and log lines as server-sent events: `run` (`{run_id,
/// status, at}`), `stage` (`{run_id, service, stage, status, at, started_at,
/// finished_at, duration_ms}`) and `log` (`{run_id, service, stage, source, line,
/// at}`), each with its event id.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventsQuery),
    responses((status = 200, description = "A text/event-stream of `run`, `stage` and `log` events", content_type = "text/event-stream", body = String),
              (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn events(
    State(state): State<ApiState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let given = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(q.after);
    let cursor = given
        .map(|c| {
            c.parse::<Cursor>()
                .map_err(|e| ApiError::bad_request(e.to_string()))
        })
        .transpose()?;
    if let Some(run) = &q.run {
        find_run(&state, run)?;
    }
    // Subscribe before reading the head, so nothing falls between the two.
    let live = state.hub.subscribe();
    let cursor = match (cursor, &q.run) {
        (Some(c), _) => c,
        (None, Some(_)) => Cursor::default(),
        (None, None) => state.hub.head()?,
    };
    let filter = Filter {
        run: q.run,
        logs: !q.no_logs.unwrap_or(false),
        ..Filter::default()
    };
    Ok(open(&state, live, cursor, filter))
}

/// What a subscriber is sent.
#[derive(Debug, Default)]
pub struct Filter {
    /// Only this run's events.
    pub run: Option<String>,
    /// Log lines too.
    pub logs: bool,
    /// Only the log lines of this service.
    pub service: Option<String>,
    /// Only the log lines of this stage.
    pub stage: Option<String>,
    /// Leave stage status changes out (runs' stay).
    pub no_stages: bool,
}

/// Streams what `filter` keeps, from after `cursor`, subscribed to `live`.
pub fn open(
    state: &ApiState,
    live: broadcast::Receiver<Arc<Vec<Update>>>,
    cursor: Cursor,
    filter: Filter,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let (tx, rx) = mpsc::channel(BUFFER);
    let follow = Follow {
        hub: state.hub.clone(),
        filter,
        cursor,
        tx,
    };
    tokio::spawn(follow.run(live));
    Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// One subscriber's task: replays from the store, then passes live batches on.
struct Follow {
    hub: Arc<Hub>,
    filter: Filter,
    cursor: Cursor,
    tx: mpsc::Sender<Result<Event, Infallible>>,
}

impl Follow {
    async fn run(mut self, mut live: broadcast::Receiver<Arc<Vec<Update>>>) {
        if !self.replay().await {
            return;
        }
        loop {
            match live.recv().await {
                Ok(batch) => {
                    for update in batch.iter() {
                        if !self.send(update).await {
                            return;
                        }
                    }
                }
                // Fell behind: what was missed is in the store.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if !self.replay().await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Sends everything after the cursor from the store; false once the client left.
    async fn replay(&mut self) -> bool {
        loop {
            let read = read_after(self.hub.store(), self.cursor, self.filter.run.as_deref());
            let (updates, more) = match read {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot replay the feed to a subscriber");
                    return false;
                }
            };
            for update in &updates {
                if !self.send(update).await {
                    return false;
                }
            }
            if !more {
                return true;
            }
        }
    }

    /// Sends `update` unless the cursor covers it or the filter leaves it out; false
    /// once the client left.
    async fn send(&mut self, update: &Update) -> bool {
        if update.seen_by(self.cursor) {
            return true;
        }
        self.cursor = update.advance(self.cursor);
        if !self.keeps(update) {
            return true;
        }
        let event = to_event(update).id(self.cursor.to_string());
        self.tx.send(Ok(event)).await.is_ok()
    }
}

impl Follow {
    fn keeps(&self, update: &Update) -> bool {
        let f = &self.filter;
        if f.run.as_deref().is_some_and(|r| r != update.run_id()) {
            return false;
        }
        match update {
            Update::Log(l) => {
                f.logs
                    && f.service.as_deref().is_none_or(|s| s == l.service)
                    && f.stage.as_deref().is_none_or(|s| s == l.stage)
            }
            Update::Status(e) => e.stage.is_none() || !f.no_stages,
        }
    }
}

/// The SSE event of an update (without its id).
pub fn to_event(update: &Update) -> Event {
    let (name, data) = match update {
        Update::Status(e) if e.stage.is_none() => (
            "run",
            json!({ "run_id": e.run_id, "status": e.status, "at": e.at }),
        ),
        Update::Status(e) => (
            "stage",
            json!({
                "run_id": e.run_id,
                "service": e.service,
                "stage": e.stage,
                "status": e.status,
                "at": e.at,
                "started_at": e.started_at,
                "finished_at": e.finished_at,
                "duration_ms": e.started_at.zip(e.finished_at).map(|(s, f)| (f - s).max(0)),
            }),
        ),
        Update::Log(l) => (
            "log",
            json!({
                "run_id": l.run_id,
                "service": l.service,
                "stage": l.stage,
                "source": l.source,
                "line": l.line,
                "at": l.at,
            }),
        ),
    };
    Event::default().event(name).data(data.to_string())
}
