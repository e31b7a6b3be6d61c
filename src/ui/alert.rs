//! The rejection of the last command, announced to screen readers.

use leptos::prelude::*;

use super::state::Ui;

#[component]
pub fn Alert(ui: Ui) -> impl IntoView {
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
