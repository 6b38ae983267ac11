//! Start order by `depends_on`.

/// `roots` and everything they depend on, each after its dependencies, otherwise in
/// the order met. Fails on a cycle, naming it.
pub fn start_order<F>(roots: &[&str], deps: F) -> Result<Vec<String>, String>
where
    F: Fn(&str) -> Vec<String>,
{
    let mut done: Vec<String> = Vec::new();
    let mut visiting: Vec<String> = Vec::new();
    for root in roots {
        visit(root, &deps, &mut done, &mut visiting)?;
    }
    Ok(done)
}

fn visit<F>(
    name: &str,
    deps: &F,
    done: &mut Vec<String>,
    visiting: &mut Vec<String>,
) -> Result<(), String>
where
    F: Fn(&str) -> Vec<String>,
{
    if done.iter().any(|d| d == name) {
        return Ok(());
    }
    if let Some(at) = visiting.iter().position(|v| v == name) {
        let mut cycle = visiting[at..].to_vec();
        cycle.push(name.to_owned());
        return Err(format!("`depends_on` has a cycle: {}", cycle.join(" -> ")));
    }
    visiting.push(name.to_owned());
    for dep in deps(name) {
        visit(&dep, deps, done, visiting)?;
    }
    visiting.pop();
    done.push(name.to_owned());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(name: &str) -> Vec<String> {
        let deps: &[&str] = match name {
            "api" => &["db", "cache"],
            "tests" => &["api"],
            "db" => &["migrate-base"],
            _ => &[],
        };
        deps.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn dependencies_start_first_and_once() {
        let order = start_order(&["cache", "tests", "api"], graph).unwrap_or_default();
        assert_eq!(order, vec!["cache", "migrate-base", "db", "api", "tests"]);
    }

    #[test]
    fn a_cycle_is_named() {
        let cyclic = |n: &str| match n {
            "a" => vec!["b".to_owned()],
            "b" => vec!["c".to_owned()],
            "c" => vec!["a".to_owned()],
            _ => vec![],
        };
        assert_eq!(
            start_order(&["a"], cyclic),
            Err("`depends_on` has a cycle: a -> b -> c -> a".to_owned())
        );
    }
}
