//! How values read on screen.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::{Event, Money, Timestamp};

/// `1,300.00`
pub fn money(amount: Money) -> String {
    amount.grouped()
}

/// `2026-11-26 15:10:05`, in the browser's time zone.
pub fn time(at: Timestamp) -> String {
    // Milliseconds since the epoch fit an f64 exactly for the next 285,000 years.
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

/// What happened, in words: `Deposited 500.00`. An owner's name is isolated
/// in `<bdi>`, so no name (whatever direction controls an earlier version
/// let it hold) can reorder the words around it.
pub fn event(event: &Event) -> AnyView {
    match event {
        Event::AccountOpened { owner, initial_balance } => {
            let rest = format!(" with {}", money(*initial_balance));
            view! { "Opened for " <bdi>{owner.to_string()}</bdi> {rest} }.into_any()
        }
        Event::MoneyDeposited { amount } => format!("Deposited {}", money(*amount)).into_any(),
        Event::MoneyWithdrawn { amount } => format!("Withdrew {}", money(*amount)).into_any(),
    }
}
