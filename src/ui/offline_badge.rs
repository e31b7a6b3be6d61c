//! Whether the browser is online; a quiet note when it is not.

use leptos::ev;
use leptos::prelude::*;

use super::state::Ui;
use crate::browser::SyncState;

fn online_now() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// A note while the browser is offline; hidden otherwise.
#[component]
pub fn OfflineBadge(
    /// The page's state: whether a server waits for the changes.
    ui: Ui,
) -> impl IntoView {
    let online = RwSignal::new(online_now());
    let went_online = window_event_listener(ev::online, move |_| online.set(true));
    let went_offline = window_event_listener(ev::offline, move |_| online.set(false));
    on_cleanup(move || {
        went_online.remove();
        went_offline.remove();
    });
    view! {
        <p class="offline" role="status" hidden=move || online.get()>
            {move || match ui.sync.with(|s| s.status.state == SyncState::Off) {
                true => "Offline: everything still works, and stays in this browser.",
                false => "Offline: everything still works; changes are sent to the server when the connection is back.",
            }}
        </p>
    }
}
