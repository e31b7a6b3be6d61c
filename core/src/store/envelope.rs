//! The envelope: an event with the metadata the store gives it.

use serde::{Deserialize, Serialize};

use super::ChainHash;
use crate::domain::{Date, Event, Version};
pub use crate::domain::{EventId, EventIdError};

/// The id a caller gives a command so that sending it twice does it once
/// (a double click, a retry). Same alphabet as [`EventId`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommandId(String);

impl CommandId {
    pub fn parse(text: &str) -> Result<CommandId, EventIdError> {
        EventId::parse(text).map(|id| CommandId(id.into()))
    }

    /// A command id made from 96 random bits: 16 base64url characters,
    /// short because it is stored with every event of its command.
    pub fn random(bytes: [u8; 12]) -> CommandId {
        let mut text = String::with_capacity(16);
        crate::encoding::write_base64url(&mut text, &bytes);
        CommandId(text)
    }
}

crate::text::text_newtype!(CommandId, EventIdError);

/// Milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

/// A position in the store's one global order, unique across all streams.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sequence(pub u64);

impl Sequence {
    /// The largest number an import may bring (2^53, the largest integer a
    /// JS number holds exactly): far enough from `u64::MAX` that the counter
    /// can never run out after it.
    pub const MAX_IMPORTED: u64 = 1 << 53;
}

/// An event to append, with the id and time the caller gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub event_id: EventId,
    pub recorded_at: Timestamp,
    /// The command that produced the event, when its caller named it.
    pub command_id: Option<CommandId>,
    pub event: Event,
}

impl NewEvent {
    /// The envelope this event gets as version `version` with global
    /// sequence `sequence`; its hash is for the store to link.
    pub fn into_envelope(self, version: Version, sequence: Sequence) -> Envelope {
        let NewEvent { event_id, recorded_at, command_id, event } = self;
        Envelope {
            version,
            sequence,
            recorded_at,
            event_id,
            command_id,
            schema: super::SCHEMA_VERSION,
            event,
            hash: ChainHash::GENESIS,
        }
    }
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// 1 for the stream's first event, then contiguous.
    pub version: Version,
    pub sequence: Sequence,
    pub recorded_at: Timestamp,
    pub event_id: EventId,
    pub command_id: Option<CommandId>,
    /// The schema the record was stored with, for upcasting.
    pub schema: u32,
    pub event: Event,
    /// Links this event to the one before it (see chain.rs).
    pub hash: ChainHash,
}

impl Envelope {
    /// The date the event is booked on: the UTC date it was recorded (until
    /// events carry a date of their own).
    pub fn booked(&self) -> Date {
        Date::of_unix_millis(self.recorded_at.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_have_their_fixed_forms() {
        let id = EventId::random_uuid([0xff; 16]);
        assert_eq!(id.as_str(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(EventId::random_uuid([0; 16]).as_str(), "00000000-0000-4000-8000-000000000000");
        let command = CommandId::random([0xfb; 12]);
        assert_eq!(command.as_str(), "-_v7-_v7-_v7-_v7");
        assert_eq!(CommandId::parse(command.as_str()), Ok(command));
    }
}
