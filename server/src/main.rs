//! `ledger-server`: see the crate's documentation and README.md's "The
//! server" for its environment.
#![forbid(unsafe_code)]

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match ledger_server::Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("ledger-server: {error}");
            return ExitCode::FAILURE;
        }
    };
    match ledger_server::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ledger-server: {error}");
            ExitCode::FAILURE
        }
    }
}
