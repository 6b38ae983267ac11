//! Schema migrations, applied in order and tracked with `PRAGMA user_version`.

use rusqlite::Connection;

/// Each entry moves the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    pipeline    TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    commit_sha  TEXT NOT NULL,
    workspace   TEXT NOT NULL,
    host        TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE TABLE stages (
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    service     TEXT NOT NULL,
    stage       TEXT NOT NULL,
    position    INTEGER NOT NULL,
    status      TEXT NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    summary     TEXT,
    error       TEXT,
    PRIMARY KEY (run_id, service, stage)
);
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    service     TEXT NOT NULL,
    stage       TEXT NOT NULL,
    from_status TEXT NOT NULL,
    event       TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX events_by_run ON events(run_id, id);
CREATE TABLE logs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    service     TEXT NOT NULL,
    stage       TEXT NOT NULL,
    source      TEXT NOT NULL,
    line        TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX logs_by_stage ON logs(run_id, service, stage, id);
CREATE TABLE outputs (
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    service     TEXT NOT NULL,
    stage       TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (run_id, service, stage, key)
);
"#,
    r#"
ALTER TABLE runs ADD COLUMN branch TEXT;
ALTER TABLE runs ADD COLUMN request TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;
ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stages ADD COLUMN tests_passed INTEGER;
ALTER TABLE stages ADD COLUMN tests_failed INTEGER;
ALTER TABLE stages ADD COLUMN tests_skipped INTEGER;
CREATE TABLE approvals (
    run_id      TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    decision    TEXT NOT NULL,
    reason      TEXT,
    decided_by  TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE TABLE revisions (
    id          TEXT PRIMARY KEY,
    service     TEXT NOT NULL,
    environment TEXT NOT NULL,
    image       TEXT NOT NULL,
    digest      TEXT,
    commit_sha  TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    result      TEXT NOT NULL,
    reason      TEXT,
    endpoint    TEXT NOT NULL
);
CREATE INDEX revisions_by_target ON revisions(service, environment, started_at);
"#,
    r#"
CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    event       TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    run_id      TEXT
);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries(received_at);
"#,
    r#"
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
"#,
    r#"
CREATE TABLE feed (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    service TEXT,
    stage   TEXT,
    status  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    after_log INTEGER NOT NULL
);
CREATE INDEX feed_by_run ON feed(run_id, id);
CREATE INDEX logs_by_run ON logs(run_id, id);
CREATE TRIGGER feed_run_created AFTER INSERT ON runs BEGIN
    INSERT INTO feed (run_id, status, at, after_log)
    VALUES (NEW.id, NEW.status, NEW.created_at, (SELECT COALESCE(MAX(id), 0) FROM logs));
END;
CREATE TRIGGER feed_run_status AFTER UPDATE OF status ON runs
WHEN NEW.status IS NOT OLD.status BEGIN
    INSERT INTO feed (run_id, status, at, after_log)
    VALUES (NEW.id, NEW.status, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER),
            (SELECT COALESCE(MAX(id), 0) FROM logs));
END;
CREATE TRIGGER feed_stage_status AFTER UPDATE OF status ON stages
WHEN NEW.status IS NOT OLD.status BEGIN
    INSERT INTO feed (run_id, service, stage, status, at, after_log)
    VALUES (NEW.run_id, NEW.service, NEW.stage, NEW.status,
            CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER),
            (SELECT COALESCE(MAX(id), 0) FROM logs));
END;
CREATE TABLE pipelines (
    name           TEXT PRIMARY KEY,
    config_path    TEXT NOT NULL,
    webhook_secret TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
ALTER TABLE runs ADD COLUMN logs_pruned_at INTEGER;
CREATE TABLE sessions (
    hash       TEXT PRIMARY KEY,
    login      TEXT NOT NULL,
    role       TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
"#,
    r#"
CREATE TABLE host_resources (
    host       TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (host, key)
);
"#,
    r#"
CREATE TABLE deploy_locks (
    service      TEXT NOT NULL,
    environment  TEXT NOT NULL,
    holder       TEXT NOT NULL,
    run_id       TEXT NOT NULL,
    acquired_at  INTEGER NOT NULL,
    renewed_at   INTEGER NOT NULL,
    PRIMARY KEY (service, environment)
);
"#,
];

/// Brings the database up to the newest schema.
///
/// Each step reads the version inside an immediate (write-locking) transaction, so two
/// processes opening a new database at once do not both apply the same step.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current = tx.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?;
        let Some(sql) = usize::try_from(current)
            .ok()
            .and_then(|i| MIGRATIONS.get(i))
        else {
            return tx.commit();
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
    }
}
