//! Client subcommands: requests to a running server, signed like the aws CLI signs them.
//!
//! `profile.rs` finds credentials and region the way the aws CLI does, `client.rs` signs and
//! sends with our SigV4 signer and turns Lambda errors into [`client::ApiError`], `table.rs`
//! prints aligned columns, and one file per command family (`dead_letters.rs`) holds the
//! commands.

mod client;
pub mod dead_letters;
mod profile;
mod table;

use clap::{Args, ValueEnum};

/// Where to send requests and how to sign and print them (every client subcommand).
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// The server's address [default: $STRATUS_ENDPOINT, $AWS_ENDPOINT_URL or
    /// http://127.0.0.1:9070].
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// The signing region [default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's, or
    /// us-east-1].
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// The credentials profile [default: $AWS_PROFILE or "default"].
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// How results are printed.
    #[arg(long, global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns for people.
    Table,
    /// The API's JSON, for scripts.
    Json,
}
