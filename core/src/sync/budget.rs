//! How many events fit in a message: every push, pull page and account page
//! is bounded in bytes as well as in events, so events that carry more
//! text (a memo, a payee) make fewer per message instead of a refused body.
//! A message always carries at least one event, so sync moves on; one
//! event larger than a whole push is refused by the server as too large
//! and becomes that command's rejection (docs/sync-protocol.md).

use super::wire::{write_event_members, write_server_event, ServerEvent};
use crate::store::Envelope;

/// The most bytes a request body may have: the server refuses a larger one
/// (413) before reading it.
pub const MAX_BODY: usize = 64 * 1024;

/// The most bytes of events one push carries: under [`MAX_BODY`], with
/// room for the push's own members (`{"after":…,"events":[…]}`).
pub const PUSH_BYTES: usize = MAX_BODY - 1024;

/// The most bytes of events one page the server answers carries (a pull,
/// a live pull, an account's events).
pub const PAGE_BYTES: usize = 1024 * 1024;

/// How many of `events`, from the first, a push of at most `budget` bytes
/// of events carries: at least one.
pub fn fit_push(events: &[Envelope], budget: usize) -> usize {
    fit(events, budget, |out, event| {
        out.push(b'{');
        write_event_members(out, event);
        out.push(b'}');
    })
}

/// How many of `events`, from the first, a page of at most `budget` bytes
/// of events carries: at least one.
pub fn fit_page(events: &[ServerEvent], budget: usize) -> usize {
    fit(events, budget, write_server_event)
}

fn fit<T>(items: &[T], budget: usize, write: impl Fn(&mut Vec<u8>, &T)) -> usize {
    let mut scratch = Vec::with_capacity(512);
    let mut used = 0usize;
    for (n, item) in items.iter().enumerate() {
        scratch.clear();
        write(&mut scratch, item);
        // The comma between two events.
        used = used.saturating_add(scratch.len() + usize::from(n > 0));
        if used > budget {
            return n.max(1);
        }
    }
    items.len()
}
