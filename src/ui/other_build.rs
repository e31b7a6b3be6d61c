//! A note when a tab of another build of the app is open, so that this tab
//! does not change the ledger until it (or the other) is reloaded.

use leptos::prelude::*;

use super::state::Ui;
use crate::browser::other_build;

/// In the page only while [`other_build`] says something; re-read on every change.
#[component]
pub fn OtherBuildNote(ui: Ui) -> impl IntoView {
    let note = move || {
        ui.revision.track();
        other_build()
    };
    move || {
        note().map(|text| {
            view! {
                <p class="other-build" role="alert">
                    {text}
                    " "
                    <button type="button" class="quiet" on:click=|_| {
                        if let Some(window) = web_sys::window() {
                            let _ = window.location().reload();
                        }
                    }>"Reload"</button>
                </p>
            }
        })
    }
}
