//! What a message's `metadata` holds besides the event (the message's
//! `data`, in the original's JSON): the rest of the core's envelope, and who
//! made the event. This module owns its JSON form.

use ledger_core::{ChainHash, CommandId, Envelope, Event, EventId, Sequence, Timestamp, Version};
use serde::{Deserialize, Serialize};

use super::stream::Device;

/// The sequence of an envelope about to be written: Message DB gives a
/// message its global position only by writing it. Hash v2 does not cover
/// the sequence (docs/event-identity.md), so an envelope read back carries
/// its global position there instead.
pub const SEQUENCE: Sequence = Sequence(0);

/// The `metadata` of a message.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    pub version: u64,
    pub event_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub recorded_at: u64,
    /// The event's chain hash, 64 hex digits.
    pub hash: String,
    pub schema: u32,
    pub device: String,
}

impl Metadata {
    pub fn of(envelope: &Envelope, device: &Device) -> Metadata {
        Metadata {
            version: envelope.version.get(),
            event_id: envelope.event_id.as_str().to_owned(),
            command_id: envelope.command_id.as_ref().map(|id| id.as_str().to_owned()),
            recorded_at: envelope.recorded_at.0,
            hash: envelope.hash.to_string(),
            schema: envelope.schema,
            device: device.as_str().to_owned(),
        }
    }

    pub fn to_json(&self) -> String {
        // A struct of strings and numbers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Metadata, String> {
        serde_json::from_str(text).map_err(|e| format!("its metadata can't be read: {e}"))
    }

    /// Who stored the event.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The envelope of `event` that this metadata describes.
    pub fn envelope(self, event: Event) -> Result<Envelope, String> {
        Ok(Envelope {
            version: Version::new(self.version),
            sequence: SEQUENCE,
            recorded_at: Timestamp(self.recorded_at),
            event_id: EventId::parse(&self.event_id).map_err(|e| format!("its event id: {e}"))?,
            command_id: match self.command_id {
                Some(id) => Some(CommandId::parse(&id).map_err(|e| format!("its command id: {e}"))?),
                None => None,
            },
            schema: self.schema,
            event,
            hash: ChainHash::parse_hex(&self.hash).ok_or("its hash is not 64 hex digits")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::{Money, NewEvent};

    #[test]
    fn metadata_round_trips_an_envelope() {
        let event = Event::deposited(Money::from_cents(5).unwrap());
        let new = NewEvent {
            event_id: EventId::parse("e-1").unwrap(),
            recorded_at: Timestamp(1_700_000_000_000),
            command_id: Some(CommandId::parse("c-1").unwrap()),
            event: event.clone(),
        };
        let mut envelope = new.into_envelope(Version::new(2), SEQUENCE);
        envelope.hash = ChainHash::parse_hex(&"ab".repeat(32)).unwrap();
        let json = Metadata::of(&envelope, &Device::http()).to_json();
        assert!(json.contains(r#""commandId":"c-1""#) && json.contains(r#""device":"http""#), "{json}");
        assert_eq!(Metadata::from_json(&json).unwrap().envelope(event.clone()), Ok(envelope));
        assert!(Metadata::from_json(r#"{"version":1}"#).is_err());
        let extra = json.replace('}', r#","x":1}"#);
        assert!(Metadata::from_json(&extra).is_err());
    }
}
