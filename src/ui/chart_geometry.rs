//! Where the balance chart puts things: pure arithmetic on the balances,
//! in the SVG's own units (a `WIDTH` × `HEIGHT` box stretched to fit).

use crate::Money;

pub const WIDTH: f64 = 600.0;
pub const HEIGHT: f64 = 160.0;
/// More points than this are thinned out: the chart has 600 pixels anyway.
const MAX_POINTS: usize = 600;
/// Room above the highest tick, so the line's stroke is not cut off.
const HEADROOM: f64 = 4.0;

/// The balance axis: ticks from zero in round steps, the top one at or
/// above the highest balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scale {
    pub ticks: Vec<Money>,
    top: u64,
}

impl Scale {
    /// At most four steps of 1, 2 or 5 times a power of ten (in cents).
    pub fn of(balances: &[Money]) -> Scale {
        let peak = balances.iter().copied().max().unwrap_or(Money::ZERO).cents();
        if peak == 0 {
            return Scale { ticks: vec![Money::ZERO], top: 1 };
        }
        let rough = peak.div_ceil(4);
        let mut power = 1u64;
        while power.saturating_mul(10) <= rough {
            power *= 10;
        }
        let step = [1, 2, 5, 10].iter().map(|m| m * power).find(|step| step.saturating_mul(4) >= peak).unwrap_or(power * 10);
        let steps = peak.div_ceil(step);
        let ticks = (0..=steps).filter_map(|i| Money::from_cents(i * step)).collect::<Vec<_>>();
        let top = ticks.last().map_or(1, |t| t.cents().max(1));
        Scale { ticks, top }
    }

    /// Vertical position of a balance.
    pub fn y_of(&self, balance: Money) -> f64 {
        // Cents as f64 only to place pixels; 2^53 cents is beyond any balance.
        HEIGHT - balance.cents() as f64 / self.top as f64 * (HEIGHT - HEADROOM)
    }
}

/// Horizontal position of event `index` of `count`.
pub fn x_of(index: usize, count: usize) -> f64 {
    if count <= 1 {
        return WIDTH / 2.0;
    }
    index as f64 / (count - 1) as f64 * WIDTH
}

/// The event nearest to a share (0 to 1) of the width, of `count`.
pub fn index_at(share: f64, count: usize) -> usize {
    if count <= 1 || !share.is_finite() {
        return 0;
    }
    // The share is clamped to 0..=1, so the product lies in 0..count.
    (share.clamp(0.0, 1.0) * (count - 1) as f64).round() as usize
}

/// A few versions to label the x axis with: the first, the last, and up to
/// three evenly between (as indexes: version `i + 1`).
pub fn version_ticks(count: usize) -> Vec<usize> {
    let mut ticks: Vec<usize> = (0..=4).map(|i| (count.saturating_sub(1) * i).div_ceil(4)).collect();
    ticks.dedup();
    ticks
}

/// A share of the box, for CSS: `37.5%`.
pub fn percent(value: f64, of: f64) -> String {
    format!("{}%", tenths(value / of * 100.0))
}

/// A non-negative coordinate with one decimal, written from integers (Rust's
/// float formatting is a sizeable part of the download; this is all the
/// chart needs).
pub fn tenths(value: f64) -> String {
    // Coordinates lie in 0..=600: the cast is exact and never saturates.
    let tenths = (value.max(0.0) * 10.0).round() as u64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The SVG `points` of the balance line. Long histories keep, for each slice
/// of the x axis, its lowest and highest balance, so no spike disappears.
pub fn polyline(balances: &[Money], scale: &Scale) -> String {
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
                points.push_str(&format!("{},{} ", tenths(x_of(start + offset, count)), tenths(scale.y_of(*value))));
            }
        }
    }
    points
}
