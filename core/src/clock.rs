//! Time and identity come from outside, so the core stays deterministic:
//! the browser passes `Date.now()` and random UUIDs, tests pass counters.

use crate::store::{EventId, Timestamp};

pub trait Clock {
    fn now(&self) -> Timestamp;
}

pub trait IdGenerator {
    fn next_id(&mut self) -> EventId;
}
