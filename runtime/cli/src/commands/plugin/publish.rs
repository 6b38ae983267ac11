//! `seamless plugin push`, `search`, `sign` and `keygen`.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::ExitCode;

use seamless_bundle::registry::{Registry, parse_reference};
use seamless_bundle::resolve::Source;
use seamless_bundle::signature::SecretKey;
use seamless_bundle::store::PluginStore;

use super::args::{KeygenArgs, PushArgs, SearchArgs, SignArgs};
use super::project::Project;
use super::views::FoundView;
use crate::output;

/// `seamless plugin push`.
pub async fn push(args: &PushArgs) -> Result<ExitCode> {
    let path = match &args.bundle {
        Some(p) => p.clone(),
        None => {
            let project = Project::load(&args.dir)?;
            let dir = project.bundle_dir();
            if !dir.is_dir() {
                bail!(
                    "{} is not built; run `seamless plugin build` first",
                    dir.display()
                );
            }
            dir
        }
    };
    let bundle = seamless_bundle::layout::read(&path)
        .with_context(|| format!("{} is not a good plugin bundle", path.display()))?;
    let reference = parse_reference(&args.reference)?;
    if reference.digest().is_some() {
        bail!("push to a tag (registry/repository:tag), not to a digest");
    }
    let digest = Registry::for_registry(reference.registry())
        .await?
        .push(&bundle, &reference)
        .await?;
    println!(
        "Pushed {} {} as {}",
        bundle.manifest.name, bundle.manifest.version, args.reference
    );
    println!("  digest: {digest}");
    println!(
        "  pin it:  {}/{}@{digest}",
        reference.registry(),
        reference.repository()
    );
    Ok(ExitCode::SUCCESS)
}

/// Whether `query` is a word of `text` (any case), or part of a repository name.
fn matches(query: &str, repository: &str, description: &str, title: &str) -> bool {
    let q = query.to_lowercase();
    repository.to_lowercase().contains(&q)
        || title.to_lowercase().contains(&q)
        || description
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .any(|w| w == q)
}

/// `seamless plugin search`: the registry's catalog, each repository's tags, and each
/// tag's annotations.
pub async fn search(args: &SearchArgs) -> Result<ExitCode> {
    let probe = parse_reference(&format!("{}/catalog:latest", args.registry))?;
    let registry = Registry::for_registry(probe.registry()).await?;
    let mut found = Vec::new();
    for repo in registry.repositories(&probe).await? {
        let repo_ref = parse_reference(&format!("{}/{repo}:latest", args.registry))?;
        let tags = match registry.tags(&repo_ref).await {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!("skipping {repo}: {e}");
                continue;
            }
        };
        for tag in tags.iter().filter(|t| !t.ends_with(".sig")) {
            let tagged = parse_reference(&format!("{}/{repo}:{tag}", args.registry))?;
            let Ok(annotations) = registry.annotations(&tagged).await else {
                continue;
            };
            // Only plugin bundles carry the WIT annotation.
            if !annotations.contains_key("dev.seamless.plugin.wit") {
                continue;
            }
            let get = |k: &str| annotations.get(k).cloned().unwrap_or_default();
            let description = get("org.opencontainers.image.description");
            let title = get("org.opencontainers.image.title");
            if matches(&args.query, &repo, &description, &title) {
                found.push(FoundView {
                    reference: format!("{}/{repo}:{tag}", args.registry),
                    name: title,
                    version: get("org.opencontainers.image.version"),
                    description,
                });
            }
        }
    }
    if args.output.is_json() {
        output::json(&found)?;
    } else if found.is_empty() {
        println!("No plugin in {} matches '{}'", args.registry, args.query);
    } else {
        for f in &found {
            println!(
                "{}\t{} {}\t{}",
                f.reference, f.name, f.version, f.description
            );
        }
    }
    Ok(if found.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn read_key(path: &Path) -> Result<SecretKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the signing key {}", path.display()))?;
    SecretKey::parse(text.trim()).with_context(|| {
        format!(
            "{} is not a key made by `seamless plugin keygen`",
            path.display()
        )
    })
}

/// `seamless plugin sign`.
pub async fn sign(args: &SignArgs, store: &PluginStore) -> Result<ExitCode> {
    let key = read_key(&args.key)?;
    match Source::parse(&args.reference, Path::new("."))? {
        Source::Path(path) => {
            let bundle = seamless_bundle::layout::read(&path)
                .with_context(|| format!("{} is not a good plugin bundle", path.display()))?;
            let signature = key.sign(&bundle.digest());
            store.add_signatures(&bundle.digest(), std::slice::from_ref(&signature))?;
            println!(
                "Signed {} with key {} (kept in the local plugin store)",
                bundle.digest(),
                signature.key_id
            );
        }
        Source::Registry(reference) => {
            let registry = Registry::for_registry(reference.registry()).await?;
            let digest = registry.resolve(&reference).await?;
            let signature = key.sign(&digest);
            let at = registry.push_signature(&reference, &signature).await?;
            store.add_signatures(&digest, std::slice::from_ref(&signature))?;
            println!(
                "Signed {digest} with key {}; the signature is at {}",
                signature.key_id,
                at.whole()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `seamless plugin keygen`.
pub fn keygen(args: &KeygenArgs) -> Result<ExitCode> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let key = SecretKey::from_seed(seed);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.out)
        .with_context(|| {
            format!(
                "cannot create {} (it is never overwritten)",
                args.out.display()
            )
        })?;
    writeln!(file, "{}", key.to_text())?;
    let public = key.public();
    println!(
        "Wrote the secret key to {} (keep it secret)",
        args.out.display()
    );
    println!("Trust its public key in seamless.toml:");
    println!();
    println!("[plugins]");
    println!("require-signatures = true");
    println!("trusted-keys = [\"{}\"]", public.to_text());
    Ok(ExitCode::SUCCESS)
}
