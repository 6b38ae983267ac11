//! Finds dependency cycles in the stage graph.

use std::collections::HashMap;
use std::ops::Range;

use super::super::error::ConfigError;
use super::super::location::Source;
use super::super::schema::RawStage;

/// Reports every dependency cycle among the stages, as "a -> b -> a".
pub(super) fn check_cycles(
    raw: &[RawStage],
    index: &HashMap<&str, usize>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }

    struct Walk<'a> {
        raw: &'a [RawStage],
        index: &'a HashMap<&'a str, usize>,
        marks: Vec<Mark>,
        path: Vec<usize>,
        found: Vec<(Vec<usize>, Range<usize>)>,
    }

    impl Walk<'_> {
        fn visit(&mut self, node: usize) {
            self.marks[node] = Mark::Open;
            self.path.push(node);
            for need in &self.raw[node].needs {
                let Some(&next) = self.index.get(need.get_ref().as_str()) else {
                    continue;
                };
                match self.marks[next] {
                    Mark::New => self.visit(next),
                    Mark::Open => {
                        let start = self.path.iter().position(|&n| n == next).unwrap_or(0);
                        let mut cycle = self.path[start..].to_vec();
                        cycle.push(next);
                        self.found.push((cycle, need.span()));
                    }
                    Mark::Done => {}
                }
            }
            self.path.pop();
            self.marks[node] = Mark::Done;
        }
    }

    let mut walk = Walk {
        raw,
        index,
        marks: vec![Mark::New; raw.len()],
        path: Vec::new(),
        found: Vec::new(),
    };
    for (node, stage) in raw.iter().enumerate() {
        // Only first definitions take part; duplicates are reported elsewhere.
        if walk.marks[node] == Mark::New && index.get(stage.name.get_ref().as_str()) == Some(&node)
        {
            walk.visit(node);
        }
    }
    for (cycle, span) in walk.found {
        let names: Vec<&str> = cycle
            .iter()
            .map(|&i| raw[i].name.get_ref().as_str())
            .collect();
        errors.push(source.error(
            span,
            format!(
                "dependency cycle {}; a stage cannot need itself, directly or through other \
                 stages; remove one of these `needs` entries",
                names.join(" -> ")
            ),
        ));
    }
}
