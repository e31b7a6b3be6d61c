//! Whether the browser keeps the ledger, and when it does not, how to keep
//! it safe.

use leptos::prelude::*;

use super::state::Ui;
use crate::browser::Persistence;

/// What the page says for each answer the browser gave.
fn keep_text(persistence: Persistence) -> &'static str {
    match persistence {
        Persistence::Unknown => "Whether this browser keeps the ledger when space runs low is not known yet.",
        Persistence::Persisted => "This browser keeps the ledger: it won't clear it to free space.",
        Persistence::NotPersisted => {
            "This browser may clear the ledger when space runs low. To keep it safe, Export it now and then, or connect a server (Sync)."
        }
        Persistence::Unsupported => {
            "This browser promises nothing about keeping the ledger. To keep it safe, Export it now and then, or connect a server (Sync)."
        }
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
            {move || keep_text(persistence())}
        </p>
    }
}
