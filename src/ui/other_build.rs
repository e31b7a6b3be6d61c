//! A note when a tab of another build of the app is open, so that this tab
//! does not change the ledger until it (or the other) is reloaded.

use leptos::prelude::*;

use super::state::Ui;

/// In the page only while another build is open (as of the last refresh).
#[component]
pub fn OtherBuildNote(
    /// The page's state: what to say about another build, if anything.
    ui: Ui,
) -> impl IntoView {
    move || {
        ui.other_build.get().map(|text| {
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
