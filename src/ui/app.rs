//! The page: the ledger handle, shared state, the URL, live updates, and
//! the layout.

use leptos::ev;
use leptos::prelude::*;

use super::account_panel::AccountPanel;
use super::accounts_list::AccountsList;
use super::alert::Alert;
use super::offline_badge::OfflineBadge;
use super::open_account_form::OpenAccountForm;
use super::other_build::OtherBuildNote;
use super::state::{account_from_hash, LedgerContext, Ui};
use super::storage_meter::StorageMeter;
use super::sync_card::SyncCard;
use super::your_data::YourData;
use crate::BrowserLedger;

fn current_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// The whole page. Opens the page's ledger (shared with the JS API) and
/// gives it to the components through context; without storage it says so
/// and shows nothing else.
#[component]
pub fn App() -> impl IntoView {
    match BrowserLedger::page() {
        Ok(ledger) => view! { <Ledger ledger/> }.into_any(),
        Err(error) => view! {
            <main class="layout">
                <section class="card" role="alert">
                    <h1>"Ledger"</h1>
                    <p class="damaged">{format!("The ledger can't be opened: {error}")}</p>
                    <p>"It keeps its data in this browser's storage, which this page can't use. Nothing was changed."</p>
                </section>
            </main>
        }
        .into_any(),
    }
}

/// The page over an open ledger.
#[component]
fn Ledger(
    /// The page's ledger, given to every component through context.
    ledger: BrowserLedger,
) -> impl IntoView {
    let context: LedgerContext = StoredValue::new_local(ledger.clone());
    provide_context(context);
    let ui = Ui::new(account_from_hash(&current_hash()));
    ui.refresh(&ledger);

    // Each account has its own URL; back, forward and edited URLs all land
    // here. A new selection is read when it is made.
    let hash_listener = window_event_listener(ev::hashchange, move |_| {
        let id = account_from_hash(&current_hash());
        if ui.selected.get_untracked() != id {
            ui.travel.set(None);
            ui.selected.set(id);
            if let Some(ledger) = context.try_get_value() {
                ui.refresh_selected(&ledger);
            }
        }
    });
    // Commands (from this page, the JS API or another tab) and other tabs'
    // writes show up live: one refresh for each announced change.
    let refresher = ledger.clone();
    let listener = ledger.on_change(move || ui.refresh(&refresher));
    on_cleanup(move || {
        hash_listener.remove();
        if let Some(ledger) = context.try_get_value() {
            ledger.stop_listening(listener);
        }
    });

    view! {
        <header class="masthead">
            <h1>"Ledger"</h1>
            <p class="muted">"Event-sourced bank accounts, kept in this browser."</p>
            <OfflineBadge ui/>
            <OtherBuildNote ui/>
        </header>
        <Alert ui/>
        <main class="layout">
            <div class="side">
                <OpenAccountForm ui/>
                <AccountsList ui/>
                <YourData ui/>
                <SyncCard ui/>
            </div>
            <AccountPanel ui/>
        </main>
        <StorageMeter ui/>
    }
}
