//! Lambda runtime identifiers: which ones exist, and which this server offers.

/// Every runtime identifier Lambda's API model knows, current and deprecated.
pub const KNOWN_RUNTIMES: &[&str] = &[
    "nodejs",
    "nodejs4.3",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "nodejs4.3-edge",
    "java8",
    "java8.al2",
    "java11",
    "java17",
    "java21",
    "java25",
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "dotnet6",
    "dotnet8",
    "dotnet10",
    "go1.x",
    "ruby2.5",
    "ruby2.7",
    "ruby3.2",
    "ruby3.3",
    "ruby3.4",
    "provided",
    "provided.al2",
    "provided.al2023",
];

/// Runtimes every server offers: custom runtimes need nothing from the host.
pub const CUSTOM_RUNTIMES: &[&str] = &["provided", "provided.al2", "provided.al2023"];

/// True for identifiers in Lambda's enum.
pub fn is_known(runtime: &str) -> bool {
    KNOWN_RUNTIMES.contains(&runtime)
}

/// The `AWS_EXECUTION_ENV` value for a runtime (unset for custom runtimes).
pub fn execution_env(runtime: &str) -> Option<String> {
    (!runtime.starts_with("provided")).then(|| format!("AWS_Lambda_{runtime}"))
}
