//! Stream versions: how many events a stream holds.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The number of events applied to a stream; the first event has version 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(u64);

impl Version {
    /// The version of a stream with no events.
    pub const EMPTY: Version = Version(0);

    pub const fn new(events: u64) -> Version {
        Version(events)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// The version after one more event.
    pub fn next(self) -> Version {
        Version(self.0.saturating_add(1))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The version a writer believes a stream is at. An append succeeds only if
/// the stream is still exactly there (optimistic concurrency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedVersion(pub Version);

/// Written as its number.
impl crate::coded::Field for Version {
    fn write(&self, out: &mut dyn crate::coded::FieldWriter) {
        out.number(self.get());
    }
    fn read(input: &mut dyn crate::coded::FieldReader) -> Option<Version> {
        input.number().map(Version::new)
    }
}
