//! `stratus`: the command line. Parses arguments and hands off; `server` does the wiring.

mod config;
mod credentials;
mod provisioning;
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
    // Every sandbox's pid 1 is this binary re-executed (HostConfig::init_program is
    // /proc/self/exe): hand over before anything else runs.
    if stratus_sandbox::invoked_as_init() {
        stratus_sandbox::init_main();
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Server(args) => server::run(args),
    }
}
