//! `stratus`: the command line. Parses arguments and hands off; `server` does the wiring.

mod config;
mod credentials;
mod server;

use clap::{Parser, Subcommand};

/// A self-hosted, AWS Lambda–compatible serverless platform.
#[derive(Debug, Parser)]
#[command(name = "stratus", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the platform: the Lambda API on one address, state in one data directory.
    Server(config::ServerArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Server(args) => server::run(args),
    }
}
