//! Taking the ledger out and bringing it back: Export and Import.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::download::{download, today};
use super::state::Ui;
use crate::browser::{change_here, with_ledger};

#[component]
pub fn YourData(ui: Ui) -> impl IntoView {
    let status = RwSignal::new(None::<String>);
    let export = move |_| {
        let exported = with_ledger(|ledger| Ok((ledger.export()?, ledger.accounts()?.damaged.len())));
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
            match change_here(|ledger| ledger.import(&text, None)) {
                Ok(report) => {
                    status.try_set(Some(format!(
                        "Imported {} accounts: {} new events, {} already here.",
                        report.accounts, report.events_added, report.events_skipped
                    )));
                    ui.alert.try_set(None);
                    ui.changed();
                }
                Err(error) => {
                    ui.reject(&error);
                }
            }
        });
    };
    view! {
        <section class="card data">
            <h2>"Your data"</h2>
            <p class="muted">"Take every account out as a file, or bring one back. Importing adds only what is new."</p>
            <div class="buttons">
                <button type="button" on:click=export>"Export"</button>
                <label class="button">
                    "Import"
                    <input type="file" accept=".ndjson,.json,application/json" class="visually-hidden" on:change=import/>
                </label>
            </div>
            <p class="muted" role="status">{move || status.get()}</p>
        </section>
    }
}
