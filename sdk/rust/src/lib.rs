//! Write Seamless stage plugins in Rust.
//!
//! A stage plugin is a WebAssembly component that targets the `stage` world of the
//! `seamless:plugin` WIT package. This crate hides the generated bindings behind one
//! trait, [`Stage`], one macro, [`export_stage!`], and a few typed helpers for the
//! host calls ([`log`], [`containers`], [`networks`], [`images`], [`source`],
//! [`services`], [`outputs`], [`secrets`], [`run_info`]).
//!
//! ```no_run
//! use seamless_sdk::{Capability, Context, Manifest, Outcome, Stage, StageError};
//!
//! struct Hello;
//!
//! impl Stage for Hello {
//!     fn describe() -> Manifest {
//!         Manifest::new("hello", env!("CARGO_PKG_VERSION"), "says hello")
//!             .capability(Capability::Containers)
//!     }
//!
//!     fn run(ctx: Context) -> Result<Outcome, StageError> {
//!         let who = ctx.config("who").unwrap_or("world");
//!         seamless_sdk::log::info(&format!("hello, {who}"));
//!         Ok(Outcome::new(format!("greeted {who}")))
//!     }
//! }
//!
//! seamless_sdk::export_stage!(Hello);
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip2` and a `cdylib` crate
//! type; the `.wasm` that comes out is already a component.

pub mod containers;
pub mod images;
pub mod log;
pub mod networks;
pub mod outputs;
pub mod run_info;
pub mod secrets;
pub mod services;
pub mod source;
mod types;

#[doc(hidden)]
pub mod bindings {
    //! The code `wit_bindgen` generates from `wit/`. Plugin authors use the
    //! re-exports at the crate root instead; [`crate::export_stage!`] refers to it.
    #![allow(missing_docs, unsafe_code)]

    wit_bindgen::generate!({
        path: "../../wit",
        world: "stage",
        additional_derives: [PartialEq, Eq],
        pub_export_macro: true,
        export_macro_name: "__export_stage_world",
        default_bindings_module: "seamless_sdk::bindings",
    });
}

pub use bindings::seamless::plugin::types::{
    Capability, Context, HostError, KeyValue, Manifest, Outcome, StageError, TestCounts,
};

/// The WIT package version this SDK targets (`seamless:plugin@0.2.0`).
pub const WIT_VERSION: &str = "0.2.0";

/// A stage plugin: what it says about itself and what it does when it runs.
///
/// Implement it on a unit struct and export that struct with [`export_stage!`].
pub trait Stage {
    /// Says what the plugin is and which capabilities it needs. The runtime calls it
    /// before [`Stage::run`], in a sandbox of its own, so keep it free of host calls.
    fn describe() -> Manifest;

    /// Runs the stage once. `Ok` passes the stage; `Err` fails it with the message.
    fn run(ctx: Context) -> Result<Outcome, StageError>;
}

impl<T: Stage> bindings::Guest for T {
    fn describe() -> Manifest {
        <T as Stage>::describe()
    }

    fn run(context: Context) -> Result<Outcome, StageError> {
        <T as Stage>::run(context)
    }
}

/// Exports a type that implements [`Stage`] as the component's `stage` world.
///
/// Use it once per plugin crate, with the name of the type:
///
/// ```ignore
/// seamless_sdk::export_stage!(MyPlugin);
/// ```
#[macro_export]
macro_rules! export_stage {
    ($ty:ident) => {
        $crate::bindings::__export_stage_world!($ty with_types_in $crate::bindings);
    };
}
