//! Runs the Docker backend against the real engine, in one test binary.
//!
//! Needs a running dockerd and the `seamless/busybox` and `seamless/debian` images
//! (`scripts/test-env.sh` provides them), and for the registry tests a registry named
//! by `SEAMLESS_TEST_REGISTRY`. Every test labels what it creates with an id of its own
//! and removes it, also when it fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod containers;
mod deploy;
mod health;
mod images;
mod networks;
mod registry;
