//! Look at the selected account as of any earlier version.

use leptos::prelude::*;

use super::format::count;
use super::state::Ui;
use crate::Version;

/// Picks the version to look at, from 0 to now.
#[component]
pub fn TimeTravel(
    /// The page's state: the version travelled to.
    ui: Ui,
    /// The account's version now.
    #[prop(into)]
    current: Signal<Version>,
) -> impl IntoView {
    let shown = move || ui.travel.get().unwrap_or_else(|| current.get());
    view! {
        <div class="time-travel">
            <label for="version">"Version"</label>
            <input
                id="version"
                type="number"
                min="0"
                max=move || current.get().to_string()
                step="1"
                prop:value=move || shown().to_string()
                on:input=move |ev| {
                    // Anything but a whole number in 0..=now is ignored.
                    let now = current.get_untracked();
                    if let Ok(version) = event_target_value(&ev).trim().parse::<u64>().map(Version::new) {
                        if version <= now {
                            ui.travel.set((version < now).then_some(version));
                        }
                    }
                }
            />
            <span class="muted" aria-live="polite">
                {move || match ui.travel.get() {
                    Some(version) => format!("Showing version {} of {}", count(version.get()), count(current.get().get())),
                    None => "Showing now".to_owned(),
                }}
            </span>
            <button type="button" class="quiet" disabled=move || ui.travel.get().is_none() on:click=move |_| ui.travel.set(None)>
                "Back to now"
            </button>
        </div>
    }
}
