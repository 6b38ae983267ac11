//! `seamless.toml` stage tables that tests write again and again. The default pipeline
//! itself is `seamless_core::config::default_stages`.

/// A `[[stage]]` that runs the service command `command` with the `command` built-in,
/// after `needs`, with the containers grant.
pub fn command_stage(name: &str, needs: &[&str], command: &str) -> String {
    let needs = if needs.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = needs.iter().map(|n| format!("\"{n}\"")).collect();
        format!("needs = [{}]\n", quoted.join(", "))
    };
    format!(
        "[[stage]]\nname = \"{name}\"\nuses = \"builtin:command\"\n{needs}\
         [stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"{command}\"\n"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_command_stage_names_its_needs_and_its_command() {
        assert_eq!(
            super::command_stage("show", &["prepare", "build"], "show"),
            "[[stage]]\nname = \"show\"\nuses = \"builtin:command\"\n\
             needs = [\"prepare\", \"build\"]\n[stage.grants]\ncontainers = true\n\
             [stage.with]\ncommand = \"show\"\n"
        );
        assert!(!super::command_stage("first", &[], "x").contains("needs"));
    }
}
