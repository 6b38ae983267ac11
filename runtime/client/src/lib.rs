//! The client side of a Seamless server's REST API, shared by the server and the CLI:
//! - [`http`]: a small HTTP/1.1 client (plain or TLS), used by the CLI's remote
//!   commands and by the server's calls to GitHub;
//! - [`views`]: the API's answer types; the server answers with them and documents
//!   them in its OpenAPI document (feature `openapi`), the CLI reads them;
//! - [`error_codes`]: the error codes a client acts on;
//! - [`token`]: API tokens (roles, making one, the hash a server stores).
//!
//! The server depends on this crate, never the other way round.

pub mod error_codes;
pub mod http;
pub mod token;
pub mod views;
