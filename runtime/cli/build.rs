//! Rebuild when the embedded plugin templates, the SDK or the WIT change
//! (`seamless plugin new` writes them into new projects).

fn main() {
    for dir in [
        "templates",
        "../../sdk/rust/src",
        "../../sdk/rust/Cargo.toml",
        "../../wit",
    ] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
