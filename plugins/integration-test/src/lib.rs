//! The built-in `integration-test` stage: starts the service under test with its
//! Compose dependencies on a network of their own, waits until they are ready, runs
//! the tests, and always tears everything down.
//!
//! `[stage.with]`: `compose` (default `compose.yaml`, relative to the service
//! directory, else the workspace root), `service` (the Compose service under test;
//! default: the run's service), `test-service = "tests"` (its exit code decides) or
//! `command` (run with `sh -c` in the image under test on the network),
//! `wait-timeout-secs = "120"` (per service), `junit` (as in `command`). The image
//! under test is the one input ending `.image`.

mod compose;
mod health;
mod order;
mod settings;
mod stack;
mod volumes;

use std::collections::HashMap;

use compose::{ImageSource, Plan, Planned};
use plugin_support::{junit, paths, verdict};
use seamless_sdk::containers::ContainerSpec;
use seamless_sdk::images::{self, BuildRequest};
use seamless_sdk::run_info::Info;
use seamless_sdk::{Capability, Context, Manifest, Outcome, Stage, StageError, log, run_info};
use settings::{Settings, Tester};
use stack::Stack;

/// The `integration-test` stage plugin.
struct IntegrationTest;

impl Stage for IntegrationTest {
    fn describe() -> Manifest {
        Manifest::new(
            "integration-test",
            env!("CARGO_PKG_VERSION"),
            "tests the service with its Compose dependencies on an isolated network",
        )
        .capability(Capability::Containers)
        .capability(Capability::Images)
        .capability(Capability::Networks)
        .capability(Capability::WorkspaceWrite)
    }

    fn run(ctx: Context) -> Result<Outcome, StageError> {
        let settings = Settings::from_context(&ctx)?;
        let info = run_info::current();
        let under_test = settings
            .service
            .clone()
            .unwrap_or_else(|| info.service.name.clone());
        // Once per run (`scope = "run"`), every service's build is an input named
        // `<service>.<stage>.image`, and each replaces that Compose service's build;
        // once per service, the single `<stage>.image` input is the image under test.
        let run_scoped = info.service.name.is_empty();
        let built = built_images(&ctx.inputs);
        let image = if run_scoped {
            match built.get(&under_test) {
                Some(image) => image.clone(),
                None => {
                    return Err(StageError::invalid_config(format!(
                        "stage `{}` runs once per run but has no built image of `{under_test}`; \
                         set `service = \"<the Compose service under test>\"` under [stage.with] \
                         and make the stage need the build stage",
                        ctx.stage
                    )));
                }
            }
        } else {
            match paths::single_input_ending(&ctx.inputs, ".image") {
                Ok(Some((_, image))) => image.to_owned(),
                Ok(None) => {
                    return Err(StageError::invalid_config(format!(
                        "stage `{}` has no image to test: no input ends in `.image`; make it need the build stage (`needs = [\"build\"]`)",
                        ctx.stage
                    )));
                }
                Err(e) => return Err(StageError::invalid_config(e)),
            }
        };
        let Some((compose_dir, yaml)) = read_compose(&settings, &info.service.path)? else {
            // The default pipeline has this stage for every service; a service without
            // a Compose file has no integration test to run.
            return Ok(Outcome::new(format!(
                "no Compose file for service {}; nothing to test (set `compose` under \
                 [stage.with] to name one)",
                info.service.name
            )));
        };
        let test_service = match &settings.tester {
            Tester::Service(name) => Some(name.as_str()),
            Tester::Command(_) => None,
        };
        let plan = compose::parse(&yaml)
            .and_then(|c| compose::plan(&c, &compose_dir, &under_test, test_service))
            .map_err(|e| StageError::invalid_config(format!("{compose_dir}: {e}")))?;
        for warning in &plan.warnings {
            log::warn(warning);
        }
        let images = images_for(&plan, &image, &built, &info)?;
        let report = settings
            .junit
            .as_deref()
            .map(|p| paths::in_service_dir(&info.service.path, p))
            .transpose()
            .map_err(|e| StageError::invalid_config(format!("`junit` under [stage.with]: {e}")))?;
        if let Some(path) = &report
            && let Err(e) = junit::clear(path)
        {
            log::warn(&format!(
                "cannot remove the old report {}: {e}",
                path.display()
            ));
        }

        let mut stack = Stack::create(&format!("it-{under_test}"))?;
        start_services(&mut stack, &plan, &images, &settings)?;
        let (what, label, spec) = match (&settings.tester, &plan.test) {
            (Tester::Service(name), Some(test)) => (
                format!("test service `{name}`"),
                name.as_str(),
                stack.spec(test, &images[name.as_str()]).mount_workspace(),
            ),
            (Tester::Command(cmd), _) => (
                format!("`{cmd}`"),
                "tests",
                ContainerSpec::new(image.as_str())
                    .command(["sh", "-c", cmd.as_str()])
                    .network(stack.network(), ["tests"])
                    .workdir(paths::service_dir(&info.service.path))
                    .mount_workspace(),
            ),
            (Tester::Service(name), None) => {
                return Err(StageError::failed(format!(
                    "test service `{name}` was not planned"
                )));
            }
        };
        let id = stack.start(label, &spec)?;
        let code = stack.wait(&id)?;
        drop(stack);
        verdict::judge(&what, code, report.map(|path| junit::read(&path)))
    }
}

/// Finds the Compose file in the service directory, else the workspace root, and
/// returns its directory (relative to the workspace root) and its text. `None` when
/// none of the default names exists; a `compose` that was set must exist.
fn read_compose(
    settings: &Settings,
    service_path: &str,
) -> Result<Option<(String, String)>, StageError> {
    let mut tried: Vec<String> = Vec::new();
    for base in [service_path, "."] {
        for candidate in settings.compose_candidates() {
            let rel =
                paths::workspace_relative(base, candidate).map_err(StageError::invalid_config)?;
            let full = format!("{}/{rel}", paths::WORKSPACE);
            match std::fs::read_to_string(&full) {
                Ok(text) => {
                    let dir = rel.rsplit_once('/').map_or(".", |(dir, _)| dir).to_owned();
                    log::info(&format!("using {rel}"));
                    return Ok(Some((dir, text)));
                }
                Err(_) if !tried.contains(&rel) => tried.push(rel),
                Err(_) => {}
            }
        }
    }
    if settings.compose.is_none() {
        return Ok(None);
    }
    Err(StageError::invalid_config(format!(
        "no Compose file found (looked for {}); fix `compose = \"<path>\"` under [stage.with]",
        tried.join(", ")
    )))
}

/// Images this run built, by service: inputs named `<service>.<stage>.image` (what a
/// run-scoped stage sees of each service's build).
fn built_images(inputs: &[seamless_sdk::KeyValue]) -> HashMap<String, String> {
    inputs
        .iter()
        .filter_map(|kv| {
            let mut parts = kv.key.splitn(3, '.');
            let (service, _stage, key) = (parts.next()?, parts.next()?, parts.next()?);
            (key == "image").then(|| (service.to_string(), kv.value.clone()))
        })
        .collect()
}

/// The image of every planned service: the image under test, this run's build of
/// it, a build from the Compose file, or the Compose file's image.
fn images_for(
    plan: &Plan,
    under_test: &str,
    built: &HashMap<String, String>,
    info: &Info,
) -> Result<HashMap<String, String>, StageError> {
    let mut images = HashMap::new();
    for s in plan.services.iter().chain(&plan.test) {
        let image = match &s.source {
            ImageSource::UnderTest => under_test.to_owned(),
            ImageSource::Image(image) => image.clone(),
            ImageSource::Build { .. } if built.contains_key(&s.name) => {
                log::info(&format!("using this run's build of {}", s.name));
                built[&s.name].clone()
            }
            ImageSource::Build {
                context,
                dockerfile,
            } => {
                let tag = format!("seamless-it-{}:{}", s.name, info.short_commit());
                log::info(&format!("building {tag} from {context}/{dockerfile}"));
                images::build(&BuildRequest::new(
                    context.as_str(),
                    dockerfile.as_str(),
                    tag,
                ))?
            }
        };
        images.insert(s.name.clone(), image);
    }
    Ok(images)
}

/// Starts the services in order, each once those it depends on are ready, then
/// waits for all of them.
fn start_services(
    stack: &mut Stack,
    plan: &Plan,
    images: &HashMap<String, String>,
    settings: &Settings,
) -> Result<(), StageError> {
    let mut started: Vec<(&Planned, String)> = Vec::new();
    let mut ready: Vec<&str> = Vec::new();
    for service in &plan.services {
        for dep in &service.depends_on {
            ensure_ready(stack, &started, &mut ready, dep, settings)?;
        }
        let spec = stack.spec(service, &images[service.name.as_str()]);
        let id = stack.start(&service.name, &spec)?;
        started.push((service, id));
    }
    for (service, _) in &started {
        ensure_ready(stack, &started, &mut ready, &service.name, settings)?;
    }
    Ok(())
}

/// Waits for the started service `name` to be ready, once.
fn ensure_ready<'a>(
    stack: &mut Stack,
    started: &[(&'a Planned, String)],
    ready: &mut Vec<&'a str>,
    name: &str,
    settings: &Settings,
) -> Result<(), StageError> {
    if ready.contains(&name) {
        return Ok(());
    }
    let Some((service, id)) = started.iter().find(|(s, _)| s.name == name) else {
        return Ok(());
    };
    stack.wait_ready(&service.name, id, service.readiness, settings.wait_timeout)?;
    ready.push(service.name.as_str());
    Ok(())
}

seamless_sdk::export_stage!(IntegrationTest);
