//! How full localStorage is, with a warning near the quota.

use leptos::prelude::*;

use super::format::{count, numbers};
use super::state::Ui;

/// From this share of the quota on, the meter warns.
const WARN_AT: f64 = 0.9;

/// How full storage is, as last read.
#[component]
pub fn StorageMeter(
    /// The page's state: its storage status is shown.
    ui: Ui,
) -> impl IntoView {
    view! {
        // A footer may not take the status role (axe: aria-allowed-role):
        // the live region is inside it.
        <footer>
            <div class="storage" role="status">
                {move || match ui.storage.get() {
                    Err(error) => view! { <p class="damaged">{format!("Storage can't be measured: {error}")}</p> }.into_any(),
                    Ok(None) => ().into_any(),
                    Ok(Some(s)) => {
                        let near = s.fraction_used() >= WARN_AT;
                        // Per mille, from integers: one decimal of a percentage.
                        let permille = s.used_units.saturating_mul(1000) / s.quota_units.max(1);
                        let percent = numbers().percent(permille);
                        let text = if near {
                            format!(
                                "Storage is almost full: {percent} used. About {} more events fit; a command that does not fit is refused and nothing of it is stored.",
                                count(s.est_events_left)
                            )
                        } else {
                            format!(
                                "Storage: {percent} used by {} events; room for about {} more.",
                                count(s.events),
                                count(s.est_events_left)
                            )
                        };
                        view! {
                            <meter min="0" max=s.quota_units.to_string() value=s.used_units.to_string() high=(s.quota_units / 10 * 9).to_string()></meter>
                            <p class:warning=near>{text}</p>
                        }
                        .into_any()
                    }
                }}
            </div>
        </footer>
    }
}
