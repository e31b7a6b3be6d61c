//! Stand-ins for the world outside the core: a clock, an id source and a
//! failing disk.

use std::cell::Cell;

use crate::clock::{Clock, IdGenerator};
use crate::store::{EventId, KeyValue, KvError, Timestamp};

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

/// A map that fails its `n`th write and every one after, as a disk or a
/// browser can fail halfway through an append; for tests.
#[derive(Clone, Debug)]
pub struct FailingKv<K> {
    pub inner: K,
    pub writes_left: usize,
}

impl<K: KeyValue> KeyValue for FailingKv<K> {
    fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        self.inner.get(key)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), KvError> {
        if self.writes_left == 0 {
            return Err(KvError::Unavailable("the test made this write fail".into()));
        }
        self.writes_left -= 1;
        self.inner.set(key, value)
    }

    fn remove(&mut self, key: &str) -> Result<(), KvError> {
        self.inner.remove(key)
    }

    fn keys(&self) -> Result<Vec<String>, KvError> {
        self.inner.keys()
    }
}
