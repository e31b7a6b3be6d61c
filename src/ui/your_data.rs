//! Taking the ledger out and bringing it back: Export and Import.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::download::{download, today};
use super::field::Field;
use super::keep_note::KeepNote;
use super::state::page_ledger;
use super::state::Ui;
use crate::{AccountId, ImportReport};

/// Export every account to a file, and import one (an export, or the
/// original server's event list as a new account).
#[component]
pub fn YourData(
    /// The page's state: where a failure is told.
    ui: Ui,
) -> impl IntoView {
    let ledger = page_ledger();
    let status = RwSignal::new(None::<String>);
    // A file from the original server (a bare array of events) waits here
    // until the person names the new account it is the history of.
    let pending = RwSignal::new(None::<String>);
    let new_id = RwSignal::new(String::new());
    let new_id_error = RwSignal::new(None::<String>);
    let import_text = move |text: String, account: Option<AccountId>| {
        ledger.get().and_then(|ledger| ledger.change_here(|ledger| ledger.import(&text, account.as_ref())))
    };
    // The import's change announcement refreshes the page.
    let run = move |text: String, account: Option<AccountId>| match import_text(text, account) {
        Ok(ImportReport { accounts, events_added, events_skipped }) => {
            status.try_set(Some(format!(
                "Imported {accounts} accounts: {events_added} new events, {events_skipped} already here."
            )));
            pending.try_set(None);
            ui.alert.try_set(None);
        }
        Err(error) => ui.reject(&error),
    };
    let export = move |_| {
        let exported = ledger.get().and_then(|l| l.with(|ledger| Ok((ledger.export()?, ledger.accounts()?.damaged.len()))));
        let outcome = exported.map_err(|e| e.to_string()).and_then(|(text, damaged)| {
            download(&format!("ledger-{}.ndjson", today()), "application/x-ndjson", &text).map(|()| damaged)
        });
        match outcome {
            Ok(0) => status.set(Some("Exported every account to a file.".into())),
            // Damaged data can't be vouched for: it stays out of the file,
            // and the person is told, never silently.
            Ok(damaged) => status.set(Some(format!(
                "Exported every sound account. {damaged} damaged stored values were left out; the accounts list names them."
            ))),
            Err(error) => ui.alert.set(Some(error)),
        }
    };
    let import = move |event: leptos::ev::Event| {
        let Some(input) = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        input.set_value("");
        leptos::task::spawn_local(async move {
            let text = JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
            let Some(text) = text else {
                ui.alert.try_set(Some("The file could not be read.".into()));
                return;
            };
            if text.trim_start().starts_with('[') {
                status.try_set(None);
                pending.try_set(Some(text));
            } else {
                run(text, None);
            }
        });
    };
    view! {
        <section class="card data">
            <h2>"Your data"</h2>
            <p class="muted">"Take every account out as a file, or bring one back. Importing adds only what is new."</p>
            <KeepNote ui/>
            <div class="buttons">
                <button type="button" on:click=export>"Export"</button>
                <label class="button">
                    "Import"
                    <input type="file" accept=".ndjson,.json,application/json" class="visually-hidden" on:change=import/>
                </label>
            </div>
            // Rendered only while a file waits, so its field is the page's only
            // other "account ID" just then.
            {move || pending.get().is_some().then(|| view! {
            <form class="pending" on:submit=move |ev| {
                ev.prevent_default();
                match AccountId::parse(new_id.get_untracked().trim()) {
                    Ok(account) => {
                        if let Some(text) = pending.get_untracked() {
                            run(text, Some(account));
                        }
                    }
                    Err(error) => new_id_error.set(Some(error.to_string())),
                }
            }>
                <p>"This file is one account's events from the original server. Which new account is it?"</p>
                <Field id="import-id" label="New account ID" value=new_id error=new_id_error placeholder="acc-001"/>
                <div class="buttons">
                    <button type="submit">"Import as a new account"</button>
                    <button type="button" class="quiet" on:click=move |_| pending.set(None)>"Cancel"</button>
                </div>
            </form>
            })}
            <p class="muted" role="status">{move || status.get()}</p>
        </section>
    }
}
