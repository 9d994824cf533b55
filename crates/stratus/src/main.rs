//! `stratus`: the command line. Parses arguments and hands off; `server` does the wiring,
//! `cli` the client subcommands.

mod cli;
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
    /// Inspect and redrive the asynchronous events no destination took.
    DeadLetters(cli::dead_letters::DeadLettersArgs),
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
        Command::DeadLetters(args) => std::process::exit(cli::dead_letters::run(args)),
    }
}
