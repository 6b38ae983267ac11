//! `seamless plugin`: make, publish, install, pin and verify stage plugin bundles.

pub mod args;
mod fetch;
mod install;
mod project;
mod publish;
mod scaffold;
mod views;

use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

use args::PluginCommand;
use seamless_bundle::store::PluginStore;

fn store(data_dir: Option<PathBuf>) -> Result<(PluginStore, PathBuf)> {
    let dir = crate::data_dir::resolve(data_dir)?;
    Ok((
        PluginStore::new(seamless_scheduler::bundles::store_dir(&dir)),
        dir,
    ))
}

/// Runs a `seamless plugin` subcommand.
pub async fn plugin(command: PluginCommand, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    match command {
        PluginCommand::New(args) => scaffold::new(&args).map(|()| ExitCode::SUCCESS),
        PluginCommand::Build(args) => {
            let project = project::Project::load(&args.dir)?;
            let component = project.compile()?;
            let bundle = project.bundle(&component)?;
            let out = project.bundle_dir();
            project::write_layout(&bundle, &out)?;
            println!(
                "Built {} {} into {}\n  digest: {}",
                bundle.manifest.name,
                bundle.manifest.version,
                out.display(),
                bundle.digest()
            );
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Pack(args) => {
            let project = project::Project::load(&args.project.dir)?;
            let component = args
                .component
                .clone()
                .unwrap_or_else(|| project.component_path());
            let bundle = project.bundle(&component)?;
            let out = args.output.clone().unwrap_or_else(|| {
                project.dir.join("dist").join(format!(
                    "{}-{}.tar",
                    bundle.manifest.name, bundle.manifest.version
                ))
            });
            project::write_layout(&bundle, &out)?;
            println!(
                "Packed {} into {}\n  digest: {}",
                bundle.manifest.name,
                out.display(),
                bundle.digest()
            );
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Push(args) => publish::push(&args).await,
        PluginCommand::Install(args) => install::install(args, store(data_dir)?.0).await,
        PluginCommand::Update(args) => install::update(args, store(data_dir)?.0).await,
        PluginCommand::List(args) => install::list(&args, &store(data_dir)?.0),
        PluginCommand::Inspect(args) => install::inspect(&args).await,
        PluginCommand::Remove(args) => install::remove(&args, &store(data_dir)?.0),
        PluginCommand::Search(args) => publish::search(&args).await,
        PluginCommand::Verify(args) => install::verify(&args, &store(data_dir)?.1).await,
        PluginCommand::Sign(args) => publish::sign(&args, &store(data_dir)?.0).await,
        PluginCommand::Keygen(args) => publish::keygen(&args),
    }
}
