//! The Sync card: connect this browser to a server of record and leave it,
//! and see where sync stands. Without a server the app stays local, as it
//! is by default; the card says so.

use leptos::prelude::*;

use super::field::Field;
use super::format::{count, time};
use super::state::{page_ledger, PageLedger, Ui};
use super::sync_notes::SyncNotes;
use crate::browser::{link_from, SyncState, SyncStatus};
use crate::Timestamp;

/// Where sync stands, in a sentence.
fn said(status: &SyncStatus, pending: usize) -> String {
    let waiting = match pending {
        0 => String::new(),
        1 => " 1 event waits for the server.".to_owned(),
        n => format!(" {} events wait for the server.", count(u64::try_from(n).unwrap_or(u64::MAX))),
    };
    let progress = match (status.to_download, status.to_upload) {
        (0, 0) => String::new(),
        (down, 0) => format!(" Downloaded {} of {} events.", count(status.downloaded.min(down)), count(down)),
        (0, up) => format!(" Uploaded {} of {} events.", count(status.uploaded.min(up)), count(up)),
        (down, up) => {
            let (done_down, done_up) = (count(status.downloaded.min(down)), count(status.uploaded.min(up)));
            format!(" Downloaded {done_down} of {}, uploaded {done_up} of {} events.", count(down), count(up))
        }
    };
    let error = status.error.as_ref().map(|e| format!(" {}", e.message)).unwrap_or_default();
    match status.state {
        SyncState::Off => "Connecting…".to_owned(),
        SyncState::Syncing => format!("Syncing.{progress}{waiting}"),
        SyncState::Synced => {
            let when = status.last_synced_at.map(|at| format!(" at {}", time(Timestamp(at as u64)))).unwrap_or_default();
            format!("Synced{when}.{waiting}")
        }
        SyncState::Offline => {
            format!(
                "Offline: changes are kept here and sent when the server can be reached; sync tries again by itself.{waiting}"
            )
        }
        SyncState::Error => format!("Sync stopped:{error}{waiting}"),
        SyncState::NeedsDecision => {
            "This server is not the one this browser synced with (it was reset, or it is another): choose what to do.".to_owned()
        }
        SyncState::NeedsReload => format!(
            "The server holds entries from a newer version of this app: reload the page to update it. Until then nothing new is taken from the server, and nothing here is lost.{waiting}"
        ),
        SyncState::NeedsServerUpdate => format!("Synced, but the server is older than this app:{error}"),
    }
}

/// Connect and leave, and the state of sync.
#[component]
pub fn SyncCard(
    /// The page's state: sync as last read.
    ui: Ui,
) -> impl IntoView {
    let ledger = page_ledger();
    let url = RwSignal::new(String::new());
    let url_error = RwSignal::new(None::<String>);
    let token = RwSignal::new(String::new());
    let token_error = RwSignal::new(None::<String>);
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new token for the server already linked keeps its address.
        let address = match ui.sync.with_untracked(|s| s.status.url.clone()) {
            Some(linked) if url.get_untracked().trim().is_empty() => linked,
            _ => url.get_untracked(),
        };
        match link_from(&address, &token.get_untracked()) {
            Err(problem) => url_error.set(Some(problem.message)),
            Ok(link) => match ledger.get().map_err(|e| e.to_string()).and_then(|l| l.connect(&link).map_err(|p| p.message)) {
                Ok(()) => token.set(String::new()),
                Err(message) => token_error.set(Some(message)),
            },
        }
    };
    let linked = move || ui.sync.with(|s| s.status.url.is_some() || s.status.state != SyncState::Off);
    let wants_token = move || ui.sync.with(|s| s.status.error.as_ref().is_some_and(|e| e.code == "Unauthorized"));
    view! {
        <section class="card sync" aria-labelledby="sync-title">
            <h2 id="sync-title">"Sync"</h2>
            {move || match linked() {
                false => view! {
                    <p class="muted">
                        "Keep this ledger on a server of record as well, and on your other devices. Without one, everything stays in this browser."
                    </p>
                    <form on:submit=connect>
                        <Field id="sync-url" label="Server address" value=url error=url_error placeholder="https://ledger.example"/>
                        <Field id="sync-token" label="Token (if the server wants one)" value=token error=token_error/>
                        <button type="submit">"Connect"</button>
                    </form>
                }
                .into_any(),
                true => view! {
                    <p class="sync-server muted">{move || ui.sync.with(|s| s.status.url.clone().map(|u| format!("Server: {u}")))}</p>
                    <p class="sync-state" role="status">{move || ui.sync.with(|s| said(&s.status, s.pending))}</p>
                    {move || wants_token().then(|| view! {
                        <form on:submit=connect>
                            <Field id="sync-new-token" label="A new token" value=token error=token_error/>
                            <button type="submit">"Use this token"</button>
                        </form>
                    })}
                    <Decision ui ledger/>
                    {move || ui.sync.with(|s| s.status.state == SyncState::NeedsReload).then(|| view! {
                        <button type="button" on:click=move |_| reload()>"Reload"</button>
                    })}
                    <button type="button" class="quiet" on:click=move |_| leave(ui, ledger)>"Disconnect"</button>
                }
                .into_any(),
            }}
            <SyncNotes ui/>
        </section>
    }
}

/// Reloads the page: the service worker serves the newer build.
fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Leaves the server. Pending events stay here, as local history.
fn leave(ui: Ui, ledger: PageLedger) {
    let pending = ui.sync.with_untracked(|s| s.pending);
    if pending > 0 {
        let question = format!(
            "{pending} events have not reached the server. Disconnect anyway? They stay in this browser as local history."
        );
        let confirmed = web_sys::window().and_then(|w| w.confirm_with_message(&question).ok()).unwrap_or(false);
        if !confirmed {
            return;
        }
    }
    if let Err(message) = ledger.get().map_err(|e| e.to_string()).and_then(|l| l.disconnect().map_err(|p| p.message)) {
        ui.alert.set(Some(message));
    }
}

/// The choices when the server changed.
#[component]
fn Decision(ui: Ui, ledger: PageLedger) -> impl IntoView {
    let decide = move |request: crate::browser::SyncRequest| {
        if let Err(message) = ledger.get().map_err(|e| e.to_string()).and_then(|l| l.sync_request(request).map_err(|p| p.message))
        {
            ui.alert.set(Some(message));
        }
    };
    let start_over = move |_| {
        // The ledger here is dropped: offered as a file first.
        let saved = super::sync_notes::export_all(ledger);
        if let Err(message) = saved {
            ui.alert.set(Some(format!("The export failed, so nothing was dropped: {message}")));
            return;
        }
        decide(crate::browser::SyncRequest::StartOver);
    };
    let needed = move || ui.sync.with(|s| s.status.state == SyncState::NeedsDecision);
    view! {
        {move || needed().then(|| view! {
            <div class="buttons">
                <button type="button" on:click=move |_| decide(crate::browser::SyncRequest::Upload)>"Upload this ledger to it"</button>
                <button type="button" on:click=start_over>"Export, then start over from it"</button>
            </div>
        })}
    }
}
