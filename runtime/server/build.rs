//! Rebuilds the server when the embedded dashboard files change.

fn main() {
    println!("cargo:rerun-if-changed=assets");
}
