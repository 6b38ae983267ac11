//! The `seamless serve` HTTP server.
//!
//! So far it holds the GitHub webhook endpoint ([`webhooks`]): signed deliveries are
//! verified, deduplicated in the run store and turned into [`webhooks::TriggerRequest`]s
//! handed to a caller-provided [`webhooks::Queue`].

pub mod webhooks;
