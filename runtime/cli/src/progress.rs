//! Live terminal progress: one line per stage instance with its status and duration;
//! with `--verbose`, every log line as well.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use seamless_core::state::StageStatus;
use seamless_scheduler::RunEvent;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// Renders run events to the terminal.
pub struct Progress {
    verbose: bool,
    live: Option<MultiProgress>,
    bars: HashMap<(String, String), ProgressBar>,
    /// The run's id before every line, when several runs share the terminal.
    tag: Option<String>,
}

impl Progress {
    /// Live bars when stdout is a terminal, plain lines otherwise.
    pub fn new(verbose: bool) -> Self {
        let live = std::io::stdout()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stdout()));
        Self {
            verbose,
            live,
            bars: HashMap::new(),
            tag: None,
        }
    }

    /// Plain lines, prefixed with the run's id, whatever stdout is (for several runs
    /// followed at once).
    pub fn plain(verbose: bool) -> Self {
        Self {
            verbose,
            live: None,
            bars: HashMap::new(),
            tag: Some(String::new()),
        }
    }

    /// Consumes events until the run ends.
    pub async fn follow(mut self, mut rx: UnboundedReceiver<RunEvent>) {
        while let Some(event) = rx.recv().await {
            self.show(event);
        }
        for bar in self.bars.values() {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }

    fn print(&self, line: String) {
        let line = match &self.tag {
            Some(tag) if !tag.is_empty() => format!("[{tag}] {line}"),
            _ => line,
        };
        match &self.live {
            Some(m) => {
                let _ = m.println(line);
            }
            None => println!("{line}"),
        }
    }

    fn show(&mut self, event: RunEvent) {
        match event {
            RunEvent::Planned { run_id, instances } => {
                if let Some(tag) = &mut self.tag {
                    // The tail of a time-ordered id tells runs apart.
                    *tag = run_id
                        .get(run_id.len().saturating_sub(8)..)
                        .unwrap_or(&run_id)
                        .to_owned();
                }
                self.print(format!(
                    "run {run_id}: {} stage instance(s)",
                    instances.len()
                ));
                if let Some(m) = &self.live {
                    for (service, stage) in instances {
                        let bar = m.add(ProgressBar::new_spinner());
                        bar.set_style(
                            ProgressStyle::with_template("{prefix:<32} {msg}")
                                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                        );
                        bar.set_prefix(label(&service, &stage));
                        bar.set_message("idle");
                        self.bars.insert((service, stage), bar);
                    }
                }
            }
            RunEvent::Stage {
                service,
                stage,
                status,
                duration,
                message,
            } => {
                let line = status_line(status, duration, message.as_deref());
                match self.bars.get(&(service.clone(), stage.clone())) {
                    Some(bar) => {
                        if status == StageStatus::InProgress {
                            bar.enable_steady_tick(Duration::from_millis(250));
                            bar.set_style(
                                ProgressStyle::with_template("{prefix:<32} in-progress {elapsed}")
                                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                            );
                        } else {
                            bar.set_style(
                                ProgressStyle::with_template("{prefix:<32} {msg}")
                                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                            );
                            bar.finish_with_message(line);
                        }
                    }
                    None => self.print(format!("{:<32} {line}", label(&service, &stage))),
                }
            }
            RunEvent::Log {
                service,
                stage,
                line,
            } => {
                if self.verbose {
                    self.print(format!("  {} | {}", label(&service, &stage), line.text));
                }
            }
            RunEvent::Finished { .. } => {}
        }
    }
}

/// `service/stage`, or just `stage` for a run-scoped stage.
fn label(service: &str, stage: &str) -> String {
    if service.is_empty() {
        stage.to_owned()
    } else {
        format!("{service}/{stage}")
    }
}

fn status_line(status: StageStatus, duration: Option<Duration>, message: Option<&str>) -> String {
    let mut s = status.as_str().to_owned();
    if let Some(d) = duration {
        s.push_str(&format!(" ({:.1}s)", d.as_secs_f64()));
    }
    if let Some(m) = message
        && status != StageStatus::InProgress
    {
        s.push_str(": ");
        s.push_str(m);
    }
    s
}
