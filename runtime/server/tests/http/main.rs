//! The server over real TCP: its router on 127.0.0.1:0, a hyper client, a real SQLite
//! store whose runs are written as the scheduler writes them, and (for the dashboard
//! login) a stand-in GitHub OAuth server.

#![allow(clippy::unwrap_used, missing_docs)]

mod api;
mod dispatch;
mod events;
mod login;
mod support;
