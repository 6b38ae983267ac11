//! `seamless plugin install`, `update`, `list`, `inspect`, `remove` and `verify`: the
//! pins of seamless.lock and the local plugin store.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use seamless_bundle::lock::{LOCK_FILE, Lock, LockedPlugin};
use seamless_bundle::store::PluginStore;
use seamless_bundle::{Bundle, BundleManifest};

use super::args::{InstallArgs, ListArgs, LockArgs, RefArgs, RefLockArgs};
use super::fetch::{Fetched, config_root, fetch};
use super::views::{InspectView, PinnedView};
use crate::output;

/// What the user is asked to accept about a bundle.
fn describe(m: &BundleManifest, digest: &str) -> String {
    let mut out = format!(
        "{} {} ({})\n  {}\n  digest:  {digest}\n  targets: {}\n  stages:  {}\n",
        m.name,
        m.version,
        m.license,
        m.description,
        m.wit,
        m.stages.join(", ")
    );
    let caps = m.capabilities.list();
    if caps.is_empty() {
        out.push_str("  capabilities: none\n");
    } else {
        out.push_str("  capabilities it requests:\n");
        for c in caps {
            out.push_str(&format!("    - {c}\n"));
        }
    }
    if let Some(mb) = m.limits.memory_mb {
        out.push_str(&format!("  needs memory: {mb} MiB\n"));
    }
    if let Some(s) = m.limits.timeout_secs {
        out.push_str(&format!("  needs time:   {s} s\n"));
    }
    out
}

/// Asks `question` unless `yes`; refuses without a terminal to ask on.
fn confirm(question: &str, yes: bool) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        bail!("not confirmed: there is no terminal to ask on; pass --yes to accept");
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

fn pin(reference: &str, bundle: &Bundle) -> LockedPlugin {
    LockedPlugin {
        reference: reference.to_string(),
        digest: bundle.digest(),
        name: bundle.manifest.name.clone(),
        version: bundle.manifest.version.clone(),
        capabilities: bundle.manifest.capabilities.list(),
    }
}

fn accept(
    store: &PluginStore,
    lock_path: &Path,
    mut lock: Lock,
    reference: &str,
    fetched: &Fetched,
) -> Result<()> {
    let digest = store.install(&fetched.bundle)?;
    if !fetched.signatures.is_empty() {
        store.add_signatures(&digest, &fetched.signatures)?;
    }
    lock.put(pin(reference, &fetched.bundle));
    lock.save(lock_path)?;
    println!("Pinned {reference} to {digest} in {}", lock_path.display());
    Ok(())
}

fn signed_note(fetched: &Fetched) -> String {
    if fetched.signatures.is_empty() {
        "  signatures: none\n".into()
    } else {
        let ids: Vec<&str> = fetched
            .signatures
            .iter()
            .map(|s| s.key_id.as_str())
            .collect();
        format!("  signed by keys: {}\n", ids.join(", "))
    }
}

/// `seamless plugin install`.
pub async fn install(args: InstallArgs, store: PluginStore) -> Result<ExitCode> {
    let root = config_root(&args.lock.config);
    let lock_path = root.join(LOCK_FILE);
    let lock = Lock::load(&lock_path)?;
    let fetched = fetch(&args.reference, &root).await?;
    let digest = fetched.bundle.digest();
    if let Some(existing) = lock.get(&args.reference) {
        if existing.digest == digest {
            store.install(&fetched.bundle)?;
            println!("{} is already pinned to {digest}", args.reference);
            return Ok(ExitCode::SUCCESS);
        }
        bail!(
            "{} is pinned to {} but now points to {digest}; review the change with \
             `seamless plugin update {}`",
            args.reference,
            existing.digest,
            args.reference
        );
    }
    print!("{}", describe(&fetched.bundle.manifest, &digest));
    print!("{}", signed_note(&fetched));
    if !confirm("Install it and pin this digest?", args.yes)? {
        println!("Not installed.");
        return Ok(ExitCode::from(1));
    }
    accept(&store, &lock_path, lock, &args.reference, &fetched)?;
    Ok(ExitCode::SUCCESS)
}

/// `seamless plugin update`: shows the digest, version and capability changes of a
/// pinned reference, and pins the new digest once accepted.
pub async fn update(args: InstallArgs, store: PluginStore) -> Result<ExitCode> {
    let root = config_root(&args.lock.config);
    let lock_path = root.join(LOCK_FILE);
    let lock = Lock::load(&lock_path)?;
    let Some(old) = lock.get(&args.reference).cloned() else {
        bail!(
            "{} is not pinned in {}; install it with `seamless plugin install {}`",
            args.reference,
            lock_path.display(),
            args.reference
        );
    };
    let fetched = fetch(&args.reference, &root).await?;
    let new = &fetched.bundle.manifest;
    let digest = fetched.bundle.digest();
    if digest == old.digest {
        println!("{} is up to date ({digest})", args.reference);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} changed:", args.reference);
    println!("  digest:  {} -> {digest}", old.digest);
    println!("  version: {} -> {}", old.version, new.version);
    if old.name != new.name {
        println!("  name:    {} -> {}", old.name, new.name);
    }
    let (added, removed) =
        seamless_bundle::manifest::diff_lists(&old.capabilities, &new.capabilities.list());
    if added.is_empty() && removed.is_empty() {
        println!("  capabilities: unchanged");
    } else {
        println!("  capabilities:");
        for c in added {
            println!("    + {c}");
        }
        for c in removed {
            println!("    - {c}");
        }
    }
    print!("{}", signed_note(&fetched));
    if !confirm("Accept the change and pin the new digest?", args.yes)? {
        println!("Not updated; runs keep refusing the changed plugin.");
        return Ok(ExitCode::from(1));
    }
    accept(&store, &lock_path, lock, &args.reference, &fetched)?;
    Ok(ExitCode::SUCCESS)
}

/// `seamless plugin list`.
pub fn list(args: &ListArgs, store: &PluginStore) -> Result<ExitCode> {
    let lock_path = config_root(&args.lock.config).join(LOCK_FILE);
    let lock = Lock::load(&lock_path)?;
    if args.output.is_json() {
        let stored = store.digests()?;
        let views: Vec<PinnedView> = lock
            .plugins
            .iter()
            .map(|p| PinnedView::new(p, stored.contains(&p.digest)))
            .collect();
        output::json(&views)?;
        return Ok(ExitCode::SUCCESS);
    }
    if lock.plugins.is_empty() {
        println!("No plugins are pinned in {}", lock_path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let stored = store.digests()?;
    for p in &lock.plugins {
        let here = if stored.contains(&p.digest) {
            "stored"
        } else {
            "not stored"
        };
        let caps = if p.capabilities.is_empty() {
            "no capabilities".to_string()
        } else {
            p.capabilities.join(", ")
        };
        println!(
            "{}\n  {} {}  {}  ({here})\n  {caps}",
            p.reference, p.name, p.version, p.digest
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `seamless plugin inspect`.
pub async fn inspect(args: &RefArgs) -> Result<ExitCode> {
    let fetched = fetch(&args.reference, Path::new(".")).await?;
    if args.output.is_json() {
        output::json(&InspectView::from(&fetched))?;
        return Ok(ExitCode::SUCCESS);
    }
    let b = &fetched.bundle;
    print!("{}", describe(&b.manifest, &b.digest()));
    println!("  component: {} bytes", b.component.len());
    print!("{}", signed_note(&fetched));
    println!("  annotations:");
    for (k, v) in b.annotations() {
        println!("    {k}: {v}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `seamless plugin remove`.
pub fn remove(args: &RefLockArgs, store: &PluginStore) -> Result<ExitCode> {
    let lock_path = config_root(&args.lock.config).join(LOCK_FILE);
    let mut lock = Lock::load(&lock_path)?;
    let Some(pinned) = lock.get(&args.reference).cloned() else {
        bail!(
            "{} is not pinned in {}; `seamless plugin list` shows what is",
            args.reference,
            lock_path.display()
        );
    };
    lock.remove(&args.reference);
    lock.save(&lock_path)?;
    if !lock.plugins.iter().any(|p| p.digest == pinned.digest) {
        store.remove(&pinned.digest)?;
    }
    println!(
        "Removed {} ({}); stages that use it will not run until it is installed again",
        args.reference, pinned.digest
    );
    Ok(ExitCode::SUCCESS)
}

/// `seamless plugin verify`: every pin resolves as a run would resolve it.
pub async fn verify(args: &LockArgs, data_dir: &Path) -> Result<ExitCode> {
    let config = seamless_core::config::load(&args.config)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot read {}", args.config.display()))?;
    let lock = Lock::load(&config.root.join(LOCK_FILE))?;
    let resolver = seamless_scheduler::bundles::resolver(&config, data_dir);
    let mut bad = 0;
    for p in &lock.plugins {
        match seamless_scheduler::bundles::resolve(&resolver, &p.reference).await {
            Ok(r) => {
                let signed = r
                    .signed_by
                    .map(|k| format!(", signed by {k}"))
                    .unwrap_or_default();
                println!("ok   {} {}{signed}", p.reference, r.digest);
                for n in r.notes {
                    println!("     note: {n}");
                }
            }
            Err(e) => {
                bad += 1;
                println!("FAIL {}\n     {e}", p.reference);
            }
        }
    }
    // Every bundle `uses` names must be pinned too.
    for stage in &config.stages {
        if let seamless_core::config::PluginRef::Bundle(r) = &stage.uses
            && lock.get(r).is_none()
        {
            bad += 1;
            println!(
                "FAIL {r} (stage '{}') is not pinned; run `seamless plugin install {r}`",
                stage.name
            );
        }
    }
    Ok(if bad == 0 {
        println!("{} plugin(s) verified", lock.plugins.len());
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
