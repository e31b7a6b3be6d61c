//! What sync has to tell the user: commands the server's history refused
//! (each with why, until dismissed), and accounts whose copy here differs
//! from the server's (offered as a file, then replaced on request).

use leptos::prelude::*;

use super::download::{download, today};
use super::format::event;
use super::state::{page_ledger, PageLedger, Ui};
use crate::browser::SyncRequest;

/// The whole ledger as an export file, offered for download.
pub fn export_all(ledger: PageLedger) -> Result<(), String> {
    let text = ledger.get().and_then(|l| l.with(|ledger| ledger.export())).map_err(|e| e.to_string())?;
    download(&format!("ledger-{}.ndjson", today()), "application/x-ndjson", &text)
}

fn ask(ui: Ui, ledger: PageLedger, request: SyncRequest) {
    if let Err(message) = ledger.get().map_err(|e| e.to_string()).and_then(|l| l.sync_request(request).map_err(|p| p.message)) {
        ui.alert.set(Some(message));
    }
}

/// Rejections and differing accounts.
#[component]
pub fn SyncNotes(ui: Ui) -> impl IntoView {
    let ledger = page_ledger();
    let rejected = move || ui.sync.with(|s| s.rejected.clone());
    let differs = move || ui.sync.with(|s| s.status.differs.clone());
    view! {
        <div class="sync-notes">
            {move || (!rejected().is_empty()).then(|| view! {
                <h3>"Refused by the server"</h3>
                <ul class="rejections">
                    {rejected().into_iter().map(|(account, rejection)| {
                        let request = SyncRequest::Dismiss { account: account.to_string(), event: rejection.envelope.event_id.to_string() };
                        view! {
                            <li>
                                <strong>{account.to_string()}</strong>": " {event(&rejection.envelope.event)}
                                " was not done: " {rejection.message.clone()}
                                " "
                                <button type="button" class="quiet small" on:click=move |_| ask(ui, ledger, request.clone())>"Dismiss"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            {move || (!differs().is_empty()).then(|| view! {
                <h3>"Not the server's copy"</h3>
                <ul class="differs">
                    {differs().into_iter().map(|d| {
                        let account = d.id.clone();
                        let replace = move |_| {
                            if let Err(message) = export_all(ledger) {
                                ui.alert.set(Some(format!("The export failed, so nothing was replaced: {message}")));
                                return;
                            }
                            ask(ui, ledger, SyncRequest::Restore { account: account.clone() });
                        };
                        view! {
                            <li>
                                <strong>{d.id.clone()}</strong>": " {d.reason.clone()}
                                " "
                                <button type="button" class="quiet small" on:click=replace>"Export, then take the server's copy"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}
