//! The page: shared state, the URL, live updates, and the layout.

use leptos::ev;
use leptos::prelude::*;

use super::account_panel::AccountPanel;
use super::accounts_list::AccountsList;
use super::alert::Alert;
use super::offline_badge::OfflineBadge;
use super::open_account_form::OpenAccountForm;
use super::other_build::OtherBuildNote;
use super::state::{account_from_hash, Ui};
use super::storage_meter::StorageMeter;
use super::your_data::YourData;
use crate::browser::on_change;

fn current_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

#[component]
pub fn App() -> impl IntoView {
    let ui = Ui::new(account_from_hash(&current_hash()));

    // Each account has its own URL; back, forward and edited URLs all land here.
    let hash_listener = window_event_listener(ev::hashchange, move |_| {
        let id = account_from_hash(&current_hash());
        if ui.selected.get_untracked() != id {
            ui.travel.set(None);
            ui.selected.set(id);
        }
    });
    on_cleanup(move || hash_listener.remove());
    // Commands from the JS API and writes from other tabs show up live.
    on_change(move || ui.changed());

    view! {
        <header class="masthead">
            <h1>"Ledger"</h1>
            <p class="muted">"Event-sourced bank accounts, kept in this browser."</p>
            <OfflineBadge/>
            <OtherBuildNote ui/>
        </header>
        <Alert ui/>
        <main class="layout">
            <div class="side">
                <OpenAccountForm ui/>
                <AccountsList ui/>
                <YourData ui/>
            </div>
            <AccountPanel ui/>
        </main>
        <StorageMeter ui/>
    }
}
