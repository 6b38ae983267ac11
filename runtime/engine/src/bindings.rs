//! The one `bindgen!` of the runtime: host-side bindings for `seamless:plugin`.
//!
//! Kept alone in this file because its expansion is the slowest part of the build.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "stage",
    path: "../../wit",
    imports: { default: async },
    exports: { default: async },
});
