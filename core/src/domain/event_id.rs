//! The id every stored event has: the domain names events by it (a fact
//! about a stored event, a reversal of one), the stores keep it.

use serde::{Deserialize, Serialize};

/// A unique event id (a UUID in the browser). 1 to 64 ASCII letters, digits,
/// `-` and `_`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an id must be 1 to 64 ASCII letters, digits, '-' or '_'")]
pub struct EventIdError;

impl EventId {
    pub fn parse(text: &str) -> Result<EventId, EventIdError> {
        let valid = (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(EventId(text.to_owned()))
        } else {
            Err(EventIdError)
        }
    }

    /// An id that is a UUID's lowercase text (the caller made it so).
    pub(crate) fn from_uuid_text(text: String) -> EventId {
        EventId(text)
    }

    /// A random (version 4) UUID made from 16 random bytes, in lowercase:
    /// the form the segment codec keeps in 22 characters.
    pub fn random_uuid(mut bytes: [u8; 16]) -> EventId {
        bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
        EventId(crate::encoding::uuid_text(&bytes))
    }
}

crate::text::text_newtype!(EventId, EventIdError);
