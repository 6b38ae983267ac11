//! `seamless token create|list|revoke`: the bearer tokens of the server's API. A token
//! is printed once, when created; the store keeps only its SHA-256.

use crate::args::{RoleChoice, TokenCommand};
use crate::data_dir;
use crate::output::{self, time as when};
use anyhow::{Context, Result, bail};
use seamless_client::token::{Role, new_token};
use seamless_store::{Store, StoreError, TokenRecord};
use std::path::PathBuf;
use std::process::ExitCode;

/// Carries out a `seamless token` subcommand.
pub fn token(command: TokenCommand, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let data_dir = data_dir::resolve(data_dir)?;
    let store = Store::open(&data_dir)?;
    match command {
        TokenCommand::Create(args) => {
            let name = args.name.trim();
            if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
                bail!("a token's name is 1 to 100 printable characters, such as `ci-bot`");
            }
            let role = match args.role {
                RoleChoice::Viewer => Role::Viewer,
                RoleChoice::Operator => Role::Operator,
            };
            let (token, hash) = new_token().context("cannot draw random bytes for a token")?;
            let id = format!("tok_{}", &hash[..12]);
            store.create_token(&id, name, role.as_str(), &hash)?;
            eprintln!(
                "seamless: created {role} token {id} ('{name}'); it is shown once, store it now:"
            );
            println!("{token}");
        }
        TokenCommand::List(out) => {
            let tokens = store.tokens()?;
            if out.is_json() {
                let views: Vec<TokenView> = tokens.into_iter().map(TokenView::from).collect();
                output::json(&views)?;
                return Ok(ExitCode::SUCCESS);
            }
            if tokens.is_empty() {
                println!("no tokens; create one with `seamless token create NAME --role viewer`");
            }
            for t in tokens {
                let state = match (t.revoked_at, t.last_used_at) {
                    (Some(at), _) => format!("revoked {}", when(at)),
                    (None, Some(at)) => format!("last used {}", when(at)),
                    (None, None) => "never used".into(),
                };
                println!(
                    "{:<18} {:<9} {:<24} created {}, {state}",
                    t.id,
                    t.role,
                    t.name,
                    when(t.created_at)
                );
            }
        }
        TokenCommand::Revoke(args) => match store.revoke_token(&args.id) {
            Ok(()) => println!("seamless: token {} revoked", args.id),
            Err(StoreError::NotFound(_)) => {
                bail!(
                    "there is no token '{}'; list them with `seamless token list`",
                    args.id
                )
            }
            Err(e) => return Err(e.into()),
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// A token in `seamless token list --output json` (never its value or hash).
#[derive(Debug, serde::Serialize)]
struct TokenView {
    /// Its id.
    id: String,
    /// What it is for.
    name: String,
    /// `viewer` or `operator`.
    role: String,
    /// When it was created, in Unix milliseconds.
    created_at: i64,
    /// When it was last used, in Unix milliseconds.
    last_used_at: Option<i64>,
    /// When it was revoked, in Unix milliseconds.
    revoked_at: Option<i64>,
}

impl From<TokenRecord> for TokenView {
    fn from(t: TokenRecord) -> Self {
        Self {
            id: t.id,
            name: t.name,
            role: t.role,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}
