//! `stratus dead-letters …`: list, show, redrive and delete a function's dead letters.

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Value};

use super::client::{segment, ApiError, Client};
use super::table::{cell, render};
use super::{ClientArgs, Output};

/// The API's path prefix for dead letters.
const PREFIX: &str = "/2026-12-01/functions";

/// `stratus dead-letters`.
#[derive(Debug, Args)]
pub struct DeadLettersArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List a function's dead letters, oldest failure first.
    List {
        /// Function name or ARN.
        #[arg(long)]
        function: String,
    },
    /// Show one dead letter with its event.
    Show {
        #[arg(long)]
        function: String,
        /// The event's request id.
        #[arg(long)]
        id: String,
    },
    /// Put dead letters back into the queue: one (--id) or all of the function's (--all).
    Redrive {
        #[arg(long)]
        function: String,
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        id: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Discard one dead letter for good.
    Delete {
        #[arg(long)]
        function: String,
        #[arg(long)]
        id: String,
    },
}

/// Runs the command; the process exit code (1 with the error printed on failure).
pub fn run(args: DeadLettersArgs) -> i32 {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(execute(&args)));
    match result {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(e) => {
            match e.downcast_ref::<ApiError>() {
                Some(api) => eprintln!("An error occurred ({}): {}", api.code, api.message),
                None => eprintln!("error: {e:#}"),
            }
            1
        }
    }
}

async fn execute(args: &DeadLettersArgs) -> anyhow::Result<String> {
    let client = Client::new(&args.client)?;
    let output = args.client.output;
    let base = |f: &str| format!("{PREFIX}/{}/dead-letters", segment(f));
    match &args.command {
        Command::List { function } => {
            let mut all = Vec::new();
            let mut marker: Option<String> = None;
            loop {
                let query = marker.as_ref().map(|m| format!("Marker={}", segment(m)));
                let page = client
                    .call(Method::GET, &base(function), query.as_deref())
                    .await?;
                if let Some(items) = page.get("DeadLetters").and_then(Value::as_array) {
                    all.extend(items.iter().cloned());
                }
                marker = page
                    .get("NextMarker")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if marker.is_none() {
                    break;
                }
            }
            Ok(match output {
                Output::Json => pretty(&json!({ "DeadLetters": all })),
                Output::Table => list_table(&all),
            })
        }
        Command::Show { function, id } => {
            let path = format!("{}/{}", base(function), segment(id));
            let d = client.call(Method::GET, &path, None).await?;
            Ok(match output {
                Output::Json => pretty(&d),
                Output::Table => show_table(&d),
            })
        }
        Command::Redrive { function, id, .. } => {
            let path = match id {
                Some(id) => format!("{}/{}/redrive", base(function), segment(id)),
                None => format!("{}/redrive", base(function)),
            };
            let r = client.call(Method::POST, &path, None).await?;
            Ok(match output {
                Output::Json => pretty(&r),
                Output::Table => format!("Redriven: {}\n", r["Redriven"]),
            })
        }
        Command::Delete { function, id } => {
            let path = format!("{}/{}", base(function), segment(id));
            client.call(Method::DELETE, &path, None).await?;
            Ok(match output {
                Output::Json => pretty(&json!({ "Deleted": id })),
                Output::Table => format!("Deleted: {id}\n"),
            })
        }
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => cell(s),
        Some(Value::Null) | None => String::new(),
        Some(other) => cell(&other.to_string()),
    }
}

fn list_table(items: &[Value]) -> String {
    if items.is_empty() {
        return "No dead letters.\n".to_owned();
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|d| {
            [
                "RequestId",
                "Qualifier",
                "FailedAt",
                "Attempts",
                "Condition",
                "ErrorType",
                "PayloadSize",
                "ErrorMessage",
            ]
            .iter()
            .map(|k| text(d, k))
            .collect()
        })
        .collect();
    render(
        &[
            "REQUEST ID",
            "QUALIFIER",
            "FAILED AT",
            "ATTEMPTS",
            "CONDITION",
            "ERROR TYPE",
            "SIZE",
            "ERROR MESSAGE",
        ],
        &rows,
    )
}

fn show_table(d: &Value) -> String {
    let rows: Vec<Vec<String>> = [
        "RequestId",
        "FunctionName",
        "Qualifier",
        "ReceivedAt",
        "FailedAt",
        "Attempts",
        "Condition",
        "ErrorType",
        "ErrorMessage",
        "PayloadSize",
    ]
    .iter()
    .map(|k| vec![(*k).to_owned(), text(d, k)])
    .collect();
    let mut out = render(&["FIELD", "VALUE"], &rows);
    out.push_str("\nPayload:\n");
    out.push_str(d.get("Payload").and_then(Value::as_str).unwrap_or_default());
    out.push('\n');
    out
}
