//! Time and identity come from outside, so the core stays deterministic:
//! the browser passes `Date.now()` and random UUIDs, tests pass counters.

use std::cell::Cell;

use crate::store::{EventId, Timestamp};

pub trait Clock {
    fn now(&self) -> Timestamp;
}

pub trait IdGenerator {
    fn next_id(&mut self) -> EventId;
}

/// A clock that says what it is told; for tests.
#[derive(Debug, Default)]
pub struct ManualClock(Cell<u64>);

impl ManualClock {
    pub fn new(millis: u64) -> ManualClock {
        ManualClock(Cell::new(millis))
    }

    pub fn set(&self, millis: u64) {
        self.0.set(millis);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.get())
    }
}

/// Ids `{prefix}-1`, `{prefix}-2`, …; for tests.
#[derive(Debug)]
pub struct CountingIds {
    prefix: String,
    next: u64,
}

impl CountingIds {
    /// Keeps at most 40 id-safe characters of `prefix`.
    pub fn new(prefix: &str) -> CountingIds {
        let prefix: String = prefix.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(40).collect();
        CountingIds { prefix, next: 1 }
    }
}

impl IdGenerator for CountingIds {
    fn next_id(&mut self) -> EventId {
        let text = format!("{}-{}", self.prefix, self.next);
        self.next += 1;
        // The prefix is at most 40 id-safe characters and a u64 at most 20
        // digits, so the text is always a valid id.
        EventId::parse(&text).unwrap_or_else(|_| unreachable!("{text:?} is id-safe by construction"))
    }
}
