//! `cargo run --bin verify -- ledger.ndjson`: checks a file exported by the
//! app (`export_ledger()` or the Export button) with the app's own code
//! (ledger-core's export reader): every line, every account's versions, hash
//! chain and head, every event against the rules (so no balance is ever
//! negative). Prints a line per account; exits non-zero on any problem.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use bank_ledger::{read_export, BankAccount};
    use std::process::ExitCode;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: verify <ledger.ndjson>");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("{path}: {error}");
            return ExitCode::from(2);
        }
    };
    match read_export(&text) {
        Ok(export) => {
            for (account, events) in &export.streams {
                let state = BankAccount::replay(account.clone(), events.iter().map(|(_, e)| &e.event));
                let head = events.last().map(|(_, e)| e.hash.to_string()).unwrap_or_default();
                println!("ok  {account}: {} events, balance {}, head {head}", events.len(), state.balance().grouped());
            }
            let total: usize = export.streams.values().map(Vec::len).sum();
            println!("{path}: {} accounts, {total} events, all sound", export.streams.len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("BAD {path}: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
