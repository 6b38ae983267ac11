//! The dashboard login settings of `seamless serve`, and reading secrets from an
//! environment variable or a file.

use crate::args::ServeArgs;
use seamless_server::login::LoginConfig;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The value of `--X-env VAR` or `--X-file FILE` (a trailing newline is dropped), or
/// `None` when neither is given. `flag` is the flags' stem, such as `webhook-secret`.
pub fn secret_from(
    env: Option<&String>,
    file: Option<&PathBuf>,
    flag: &str,
) -> Result<Option<String>, String> {
    let value = match (env, file) {
        (Some(var), _) => std::env::var(var)
            .map_err(|_| format!("the environment variable {var} (--{flag}-env) is not set"))?,
        (None, Some(file)) => std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read '{}' (--{flag}-file): {e}", file.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_string(),
        (None, None) => return Ok(None),
    };
    if value.is_empty() {
        return Err(format!(
            "the value given with --{flag}-env/--{flag}-file is empty"
        ));
    }
    Ok(Some(value))
}

fn lowercase(list: &[String]) -> BTreeSet<String> {
    list.iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The login settings, when `--oauth-client-id` is given.
pub fn login(args: &ServeArgs, public_url: Option<&str>) -> Result<Option<LoginConfig>, String> {
    let Some(client_id) = &args.oauth_client_id else {
        return Ok(None);
    };
    let client_secret = secret_from(
        args.oauth_client_secret_env.as_ref(),
        args.oauth_client_secret_file.as_ref(),
        "oauth-client-secret",
    )?
    .ok_or(
        "--oauth-client-id needs --oauth-client-secret-env VAR or --oauth-client-secret-file FILE",
    )?;
    let public_url = public_url.ok_or("--oauth-client-id needs --public-url")?;
    let config = LoginConfig {
        client_id: client_id.clone(),
        client_secret,
        authorize_url: args.oauth_authorize_url.trim_end_matches('/').to_string(),
        token_url: args.oauth_token_url.trim_end_matches('/').to_string(),
        api_url: args.github_api.trim_end_matches('/').to_string(),
        public_url: public_url.to_string(),
        allow_users: lowercase(&args.allow_users),
        allow_orgs: lowercase(&args.allow_orgs),
        operators: lowercase(&args.operators),
        session_ttl: args.session_ttl,
    };
    if config.allow_users.is_empty() && config.allow_orgs.is_empty() && config.operators.is_empty()
    {
        return Err(
            "the dashboard login needs an allowlist: give --allow-users, --allow-orgs or --operators \
             (nobody could sign in otherwise)"
                .into(),
        );
    }
    if !config.secure_cookies() {
        tracing::warn!(
            "--public-url is plain http on a non-local host: session cookies are sent without \
             `Secure`; serve the dashboard over https"
        );
    }
    Ok(Some(config))
}
