//! The rejection of the last command, announced to screen readers.

use leptos::prelude::*;

use super::state::Ui;

/// The last rejection, with a button to dismiss it.
#[component]
pub fn Alert(
    /// The page's state: its alert is shown.
    ui: Ui,
) -> impl IntoView {
    move || {
        ui.alert.get().map(|message| {
            view! {
                <div class="alert" role="alert">
                    <span>{message}</span>
                    <button type="button" class="quiet" on:click=move |_| ui.alert.set(None)>
                        "Dismiss"
                    </button>
                </div>
            }
        })
    }
}
