//! The balance over time, drawn as SVG by the app itself: labelled axes,
//! the value and date of the point under the pointer or keyboard focus,
//! and a click or Enter that travels to that version.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::chart_geometry::{index_at, percent, polyline, tenths, version_ticks, x_of, Scale, HEIGHT, WIDTH};
use super::format::{count, money, time};
use super::state::{page_ledger, PageLedger, Ui};
use crate::{AccountId, Money, Timestamp, Version};

/// A point picked on the chart: a version and when it happened (read
/// from the ledger when picked: one event, not the whole history).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Picked {
    version: u64,
    at: Option<Timestamp>,
}

/// The balance after each event as a line, with a mark at the version
/// being looked at. Focusable: Left/Right (Page Up/Down, Home/End) pick a
/// version, Enter goes to it; so does a click.
#[component]
pub fn BalanceChart(
    /// The page's state: the version travelled to is marked, and set here.
    ui: Ui,
    /// The account drawn: the picked point's time is read from it.
    id: AccountId,
    /// `balances[i]` is the balance after version `i + 1`.
    #[prop(into)]
    balances: Signal<Vec<Money>>,
    /// The chart's accessible name.
    label: String,
) -> impl IntoView {
    let ledger = page_ledger();
    let id = StoredValue::new(id);
    let picked = RwSignal::new(None::<Picked>);
    let scale = Memo::new(move |_| balances.with(|b| Scale::of(b)));
    let total = move || balances.with(Vec::len) as u64;
    let line = move || balances.with(|b| polyline(b, &scale.read()));
    let x_at = move |version: u64| x_of(usize::try_from(version.max(1) - 1).unwrap_or(0), balances.with(Vec::len));
    // The version the keyboard starts from: the one picked, travelled to, or now.
    let current =
        move || picked.get().map(|p| p.version).or_else(|| ui.travel.get().map(|v| v.get())).unwrap_or_else(total).max(1);
    let pick = move |version: u64| {
        let version = version.clamp(1, total().max(1));
        picked.set(Some(Picked { version, at: id.with_value(|id| time_of(ledger, id, version)) }));
    };
    let travel = move |version: u64| ui.travel.set((version < total()).then(|| Version::new(version)));
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let (now, last) = (current(), total());
        let page = (last / 10).max(1);
        let to = match ev.key().as_str() {
            "ArrowLeft" | "ArrowDown" => now.saturating_sub(1),
            "ArrowRight" | "ArrowUp" => now + 1,
            "PageDown" => now.saturating_sub(page),
            "PageUp" => now + page,
            "Home" => 1,
            "End" => last,
            "Enter" | " " => {
                ev.prevent_default();
                return travel(now);
            }
            _ => return,
        };
        ev.prevent_default();
        pick(to);
    };
    // The event under the pointer, from where it is across the plot.
    let under = move |ev: &leptos::ev::MouseEvent| {
        let rect = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?.get_bounding_client_rect();
        let share = (f64::from(ev.client_x()) - rect.left()) / rect.width().max(1.0);
        u64::try_from(index_at(share, balances.with(Vec::len))).ok().map(|i| i + 1)
    };
    let readout = move || match picked.get() {
        Some(Picked { version, at }) => {
            let balance = balances.with(|b| b.get(usize::try_from(version - 1).unwrap_or(usize::MAX)).copied());
            let when = at.map(|at| format!(", {}", time(at))).unwrap_or_default();
            format!("Version {} of {}{when}: balance {}", count(version), count(total()), balance.map(money).unwrap_or_default())
        }
        None => "Point at the chart, or focus it and use the arrow keys, to read a version; click or press Enter to go to it."
            .to_owned(),
    };
    let widest = move || scale.with(|s| s.ticks.last().copied().map(money).unwrap_or_default());

    view! {
        <figure class="chart">
            <div class="chart-grid">
                <span class="chart-y-title">"Balance"</span>
                <div class="chart-y">
                    <span class="chart-sizer" aria-hidden="true">{widest}</span>
                    {move || scale.with(|s| s.ticks.iter().map(|&tick| {
                        view! { <span class="tick" style:top=percent(s.y_of(tick), HEIGHT)>{money(tick)}</span> }
                    }).collect_view())}
                </div>
                <div
                    class="chart-plot"
                    tabindex="0"
                    role="slider"
                    aria-label=label
                    aria-valuemin="1"
                    aria-valuemax=move || total().to_string()
                    aria-valuenow=move || current().to_string()
                    aria-valuetext=move || format!("Version {}", count(current()))
                    aria-describedby="chart-readout"
                    on:keydown=on_key
                    on:focus=move |_| pick(current())
                    on:pointermove=move |ev| {
                        if let Some(version) = under(&ev) {
                            if picked.with_untracked(|p| p.map(|p| p.version)) != Some(version) {
                                pick(version);
                            }
                        }
                    }
                    on:click=move |ev| {
                        if let Some(version) = under(&ev) {
                            pick(version);
                            travel(version);
                        }
                    }
                >
                    <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" aria-hidden="true">
                        {move || scale.with(|s| s.ticks.iter().map(|&tick| {
                            let y = tenths(s.y_of(tick));
                            view! { <line class="grid" x1="0" y1=y.clone() x2=WIDTH y2=y></line> }
                        }).collect_view())}
                        <polyline class="balance" points=line></polyline>
                        {move || ui.travel.get().map(|v| {
                            let x = tenths(x_at(v.get()));
                            view! { <line class="marker" x1=x.clone() y1="0" x2=x y2=HEIGHT></line> }
                        })}
                        {move || picked.get().map(|p| {
                            let x = tenths(x_at(p.version));
                            view! { <line class="picked" x1=x.clone() y1="0" x2=x y2=HEIGHT></line> }
                        })}
                    </svg>
                </div>
                <div class="chart-x">
                    {move || {
                        let n = balances.with(Vec::len);
                        let ticks = version_ticks(n);
                        let last = ticks.len().saturating_sub(1);
                        ticks.into_iter().enumerate().map(|(i, index)| {
                            let left = percent(x_of(index, n), WIDTH);
                            view! { <span class="tick" class:first={i == 0 && n > 1} class:last={i == last && n > 1} style:left=left>{count(index as u64 + 1)}</span> }
                        }).collect_view()
                    }}
                </div>
                <span class="chart-x-title">"Version"</span>
            </div>
            <figcaption class="muted">
                {move || format!("Balance after each of {} events; highest {}", count(total()), money(balances.with(|b| b.iter().copied().max().unwrap_or(Money::ZERO))))}
            </figcaption>
            <p class="chart-readout" id="chart-readout" aria-live="polite">{readout}</p>
        </figure>
    }
}

/// When version `version` of `id` was recorded: one event read.
fn time_of(ledger: PageLedger, id: &AccountId, version: u64) -> Option<Timestamp> {
    let ledger = ledger.get().ok()?;
    let page = ledger.with(|l| l.history_page(id, Version::new(version - 1), 1)).ok()?;
    page.first().map(|envelope| envelope.recorded_at)
}
