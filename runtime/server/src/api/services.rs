//! Creating, changing and removing a pipeline's services through the API.
//!
//! `seamless.toml` stays the source of truth: a pipeline whose file is in a git
//! repository is changed by committing to that repository (these calls answer 409
//! and say so); a server-local file is edited in place, keeping its comments and
//! layout, and only when the edited file passes validation (else 422 with file:line:col
//! and the file untouched). The pipeline is reread at once.

use std::collections::BTreeMap;
use std::path::Path as FsPath;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};
use utoipa::ToSchema;

use super::auth::Principal;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiJson;
use super::pipelines::find_pipeline;
use super::state::ApiState;
use super::views::{self, ServiceView};
use crate::pipeline::Pipeline;

/// A service's settings, as `[[service]]` takes them (see CONFIG.md); absent keys take
/// their defaults.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    /// Its directory, relative to the configuration (default `.`).
    pub path: Option<String>,
    /// Its Dockerfile, relative to `path`.
    pub dockerfile: Option<String>,
    /// The image its commands run in.
    pub image: Option<String>,
    /// The port it listens on when deployed.
    pub port: Option<u16>,
    /// Its health check path.
    pub health: Option<String>,
    /// Deploy to production without approval.
    pub auto_deploy: Option<bool>,
    /// Its named commands.
    #[serde(default)]
    pub commands: BTreeMap<String, String>,
    /// Environment variables of the deployed service.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

impl ServiceBody {
    fn table(&self, name: &str) -> Table {
        let mut t = Table::new();
        t["name"] = value(name);
        let strings = [
            ("path", &self.path),
            ("dockerfile", &self.dockerfile),
            ("image", &self.image),
            ("health", &self.health),
        ];
        for (key, v) in strings {
            if let Some(v) = v {
                t[key] = value(v.as_str());
            }
        }
        if let Some(port) = self.port {
            t["port"] = value(i64::from(port));
        }
        if let Some(auto) = self.auto_deploy {
            t["auto-deploy"] = value(auto);
        }
        for (key, map) in [("commands", &self.commands), ("env", &self.env)] {
            if !map.is_empty() {
                let mut sub = Table::new();
                for (k, v) in map {
                    sub[k.as_str()] = value(v.as_str());
                }
                t[key] = Item::Table(sub);
            }
        }
        t
    }
}

/// Refuses to edit a configuration that a git repository holds.
fn editable(pipeline: &Pipeline) -> ApiResult<()> {
    let dir = &pipeline.config.root;
    let in_git = crate::git_query::git(dir, &["rev-parse", "--is-inside-work-tree"])
        .is_some_and(|out| out == "true");
    if in_git {
        return Err(ApiError::conflict(format!(
            "'{}' is in a git repository, which is its source of truth: change the services \
             there and push; then reread it with PUT /api/v1/pipelines/{}",
            pipeline.config.file.display(),
            pipeline.config.pipeline
        )));
    }
    Ok(())
}

/// Applies `edit` to the pipeline's file; validates, writes and rereads it.
fn rewrite(
    state: &ApiState,
    pipeline: &Pipeline,
    edit: impl FnOnce(&mut ArrayOfTables) -> ApiResult<()>,
) -> ApiResult<Pipeline> {
    editable(pipeline)?;
    let file = &pipeline.config.file;
    let text = std::fs::read_to_string(file)
        .map_err(|e| ApiError::conflict(format!("cannot read '{}': {e}", file.display())))?;
    let mut doc: DocumentMut = text.parse().map_err(|e| {
        ApiError::conflict(format!("'{}' is not valid TOML now: {e}", file.display()))
    })?;
    let services = doc
        .entry("service")
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or_else(|| ApiError::conflict("`service` in the file is not an array of tables"))?;
    edit(services)?;
    let new_text = doc.to_string();
    let root = pipeline.config.root.clone();
    let config = seamless_core::config::parse(&file.display().to_string(), &new_text, &root)
        .map_err(|errors| {
            ApiError::invalid(format!(
                "the change would make the configuration invalid:\n{errors}"
            ))
        })?;
    write_atomically(file, &new_text)
        .map_err(|e| ApiError::internal("cannot write the configuration", e))?;
    let updated = Pipeline::new(config, new_text);
    state.pipelines.insert(updated.clone());
    Ok(updated)
}

fn write_atomically(file: &FsPath, text: &str) -> std::io::Result<()> {
    let tmp = file.with_extension("toml.seamless-tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, file)
}

fn position(services: &ArrayOfTables, name: &str) -> Option<usize> {
    services
        .iter()
        .position(|t| t.get("name").and_then(Item::as_str) == Some(name))
}

/// Creates a service, or replaces the one of that name.
#[utoipa::path(put, path = "/api/v1/pipelines/{name}/services/{service}", tag = "pipelines",
    params(("name" = String, Path, description = "The pipeline"), ("service" = String, Path, description = "The service")),
    request_body = ServiceBody,
    responses((status = 200, body = ServiceView), (status = 201, body = ServiceView), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    Path((name, service)): Path<(String, String)>,
    ApiJson(body): ApiJson<ServiceBody>,
) -> ApiResult<(StatusCode, Json<ServiceView>)> {
    who.require_operator("changing services")?;
    let pipeline = find_pipeline(&state, &name)?;
    let mut created = false;
    let updated = rewrite(&state, &pipeline, |services| {
        let table = body.table(&service);
        match position(services, &service) {
            Some(i) => {
                if let Some(t) = services.get_mut(i) {
                    *t = table;
                }
            }
            None => {
                created = true;
                services.push(table);
            }
        }
        Ok(())
    })?;
    tracing::info!(pipeline = %name, service = %service, by = %who.name, created, "service written");
    let view = updated
        .config
        .service(&service)
        .map(views::service)
        .ok_or_else(|| ApiError::internal("the service vanished", "after writing it"))?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

/// Removes a service.
#[utoipa::path(delete, path = "/api/v1/pipelines/{name}/services/{service}", tag = "pipelines",
    params(("name" = String, Path, description = "The pipeline"), ("service" = String, Path, description = "The service")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    Path((name, service)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    who.require_operator("changing services")?;
    let pipeline = find_pipeline(&state, &name)?;
    if pipeline.config.service(&service).is_none() {
        return Err(ApiError::not_found(format!(
            "pipeline '{name}' has no service '{service}'"
        )));
    }
    rewrite(&state, &pipeline, |services| {
        let i = position(services, &service).ok_or_else(|| {
            ApiError::not_found(format!("the file defines no service '{service}'"))
        })?;
        services.remove(i);
        Ok(())
    })?;
    tracing::info!(pipeline = %name, service = %service, by = %who.name, "service removed");
    Ok(StatusCode::NO_CONTENT)
}
