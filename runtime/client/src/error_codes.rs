//! The API's machine-readable error codes (`{"error": {"code": ...}}`) that a client
//! acts on, beyond the HTTP status.

/// `GET /api/v1/runs/{id}` (404): the run was submitted and waits for a run slot; it
/// exists once it starts.
pub const RUN_QUEUED: &str = "run_queued";

/// `GET /api/v1/runs/{id}` (404): the run was submitted and queued, but could not
/// start; the message says why.
pub const RUN_NOT_STARTED: &str = "run_not_started";
