//! The balance over time, drawn as SVG by the app itself.

use leptos::prelude::*;

use super::format::money;
use crate::{Money, Version};

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
/// More points than this are thinned out: the chart has 600 pixels anyway.
const MAX_POINTS: usize = 600;

/// The balance after each event as a line, with a mark at the version
/// being looked at.
#[component]
pub fn BalanceChart(
    /// `balances[i]` is the balance after version `i + 1`.
    #[prop(into)]
    balances: Signal<Vec<Money>>,
    /// The version being looked at when travelling in time.
    #[prop(into)]
    marker: Signal<Option<Version>>,
    /// The chart's accessible name.
    label: String,
) -> impl IntoView {
    let peak = move || balances.with(|b| b.iter().copied().max().unwrap_or(Money::ZERO));
    let line = move || balances.with(|b| polyline(b, peak()));
    let marker_x = move || {
        let count = balances.with(Vec::len);
        marker.get().map(|version| x_of(usize::try_from(version.get().max(1) - 1).unwrap_or(0), count).to_string())
    };
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=label>
                <line class="axis" x1="0" y1=HEIGHT x2=WIDTH y2=HEIGHT></line>
                <polyline class="balance" points=line></polyline>
                {move || marker_x().map(|x| view! { <line class="marker" x1=x.clone() y1="0" x2=x y2=HEIGHT></line> })}
            </svg>
            <figcaption class="muted">
                {move || format!("Balance after each of {} events; highest {}", balances.with(Vec::len), money(peak()))}
            </figcaption>
        </figure>
    }
}

/// A non-negative coordinate with one decimal, written from integers (Rust's
/// float formatting is a sizeable part of the download; this is all the
/// chart needs).
fn tenths(value: f64) -> String {
    // Coordinates lie in 0..=600: the cast is exact and never saturates.
    let tenths = (value.max(0.0) * 10.0).round() as u64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Horizontal position of event `index` of `count`.
fn x_of(index: usize, count: usize) -> f64 {
    if count <= 1 {
        return WIDTH / 2.0;
    }
    index as f64 / (count - 1) as f64 * WIDTH
}

/// The SVG `points` of the balance line. Long histories keep, for each slice
/// of the x axis, its lowest and highest balance, so no spike disappears.
fn polyline(balances: &[Money], peak: Money) -> String {
    // Cents as f64 only to place pixels; 2^53 cents is beyond any balance.
    let y_of = |m: Money| {
        let top = peak.cents().max(1) as f64;
        HEIGHT - m.cents() as f64 / top * (HEIGHT - 4.0)
    };
    let count = balances.len();
    let per_slice = count.div_ceil(MAX_POINTS / 2).max(1);
    let mut points = String::new();
    for (slice, chunk) in balances.chunks(per_slice).enumerate() {
        let start = slice * per_slice;
        let (mut low, mut high) = (0, 0);
        for (offset, value) in chunk.iter().enumerate() {
            if chunk.get(low).is_some_and(|m| value < m) {
                low = offset;
            }
            if chunk.get(high).is_some_and(|m| value > m) {
                high = offset;
            }
        }
        let (first, last) = (low.min(high), low.max(high));
        let picks = if first == last { &[first][..] } else { &[first, last][..] };
        for &offset in picks {
            if let Some(value) = chunk.get(offset) {
                points.push_str(&format!("{},{} ", tenths(x_of(start + offset, count)), tenths(y_of(*value))));
            }
        }
    }
    points
}
