//! The Leptos UI. For now a placeholder page that shows the ledger is loaded;
//! the full app comes next.

use leptos::prelude::*;

use crate::browser::with_ledger;

/// The page.
#[component]
pub fn App() -> impl IntoView {
    let summary = match with_ledger(|ledger| ledger.accounts()) {
        Ok(overview) => match overview.accounts.accounts.len() {
            1 => "1 account stored in this browser.".to_owned(),
            n => format!("{n} accounts stored in this browser."),
        },
        Err(error) => format!("The ledger could not be opened: {error}"),
    };
    view! {
        <main>
            <h1>"Ledger"</h1>
            <p id="summary">{summary}</p>
            <p>"The JS API is at " <code>"window.wasmBindings"</code> "."</p>
        </main>
    }
}
