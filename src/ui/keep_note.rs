//! Whether the browser keeps the ledger, and when it does not, how to keep
//! it safe.

use leptos::prelude::*;

use super::state::Ui;
use crate::browser::{Persistence, SyncState};

/// What the page says for each answer the browser gave; `linked`: a server
/// keeps a copy (sync is on).
fn keep_text(persistence: Persistence, linked: bool) -> String {
    let advice = if linked {
        "The server you connected keeps a copy of what has synced; Export keeps one of your own."
    } else {
        "To keep it safe, Export it now and then, or connect a server (Sync)."
    };
    match persistence {
        Persistence::Unknown => "Whether this browser keeps the ledger when space runs low is not known yet.".into(),
        Persistence::Persisted => "This browser keeps the ledger: it won't clear it to free space.".into(),
        Persistence::NotPersisted => format!("This browser may clear the ledger when space runs low. {advice}"),
        Persistence::Unsupported => format!("This browser promises nothing about keeping the ledger. {advice}"),
    }
}

/// One line in "Your data": the browser's answer to `navigator.storage`'s
/// `persisted()` / `persist()`, a neutral line until it comes.
#[component]
pub fn KeepNote(
    /// The page's state: its persistence is shown.
    ui: Ui,
) -> impl IntoView {
    let persistence = move || ui.persistence.get();
    view! {
        <p
            class="keep"
            class:warning=move || matches!(persistence(), Persistence::NotPersisted | Persistence::Unsupported)
            data-persistence=move || match persistence() {
                Persistence::Unknown => "unknown",
                Persistence::Persisted => "persisted",
                Persistence::NotPersisted => "not-persisted",
                Persistence::Unsupported => "unsupported",
            }
            aria-live="polite"
        >
            {move || keep_text(persistence(), ui.sync.with(|sync| sync.status.state != SyncState::Off))}
        </p>
    }
}
