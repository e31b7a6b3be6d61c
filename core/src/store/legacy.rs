//! Format 1, the first storage format: one JSON object per event and key.
//! It is read, never written, by the app: the upcaster below turns each
//! record into the current [`Envelope`], and the store's migration rewrites
//! the records in format 2 (segment.rs). `encode_record` stays for tests
//! that need format 1 data.
//!
//! A record (schema 1):
//!
//! ```json
//! {"schema":1,"version":2,"sequence":7,"recorded_at":1700000000000,
//!  "event_id":"6f1c…","command_id":"c-17","event":{"type":"MoneyDeposited","amount":500.0},
//!  "hash":"3b9d…"}
//! ```
//!
//! `command_id` is there only when the command's caller named it.
//!
//! Decoding is strict: unknown fields, a wrong schema, an invalid event or
//! amount, or a version that does not match the key are all damage.

use serde::Serialize;

use super::json::Json;

use super::{ChainHash, CommandId, Envelope, EventId, Sequence, StoreError, Timestamp};
use crate::domain::{Event, Money, Owner, Version};

/// The schema version of format 1 records.
pub const LEGACY_SCHEMA: u32 = 1;

#[derive(Serialize)]
struct RecordOut<'a> {
    schema: u32,
    version: Version,
    sequence: Sequence,
    recorded_at: Timestamp,
    event_id: &'a EventId,
    #[serde(skip_serializing_if = "Option::is_none")]
    command_id: Option<&'a CommandId>,
    event: &'a Event,
    hash: ChainHash,
}

/// The stored text of `envelope`.
pub fn encode_record(envelope: &Envelope) -> String {
    let record = RecordOut {
        schema: LEGACY_SCHEMA,
        version: envelope.version,
        sequence: envelope.sequence,
        recorded_at: envelope.recorded_at,
        event_id: &envelope.event_id,
        command_id: envelope.command_id.as_ref(),
        event: &envelope.event,
        hash: envelope.hash,
    };
    // Serializing cannot fail: every field is a string, an integer or a
    // finite float (Money), and there are no maps with non-string keys.
    serde_json::to_string(&record).unwrap_or_else(|e| unreachable!("record serialization failed: {e}"))
}

/// Reads the record stored under `key`, which must hold version `expected`,
/// and upcasts it (schema 1 → the current envelope): amounts, written as
/// JSON numbers of currency units, become integer cents; the stored hash is
/// kept for the reader to check against the chain it recomputes.
///
/// As strict as format 1's own reader was: unknown or repeated fields, a
/// missing one, a wrong type or an invalid value are all damage.
pub fn decode_record(key: &str, expected: Version, text: &str) -> Result<Envelope, StoreError> {
    let damaged = |reason: String| StoreError::Corrupt { key: key.to_owned(), reason };
    let json = Json::parse(text).map_err(|e| damaged(format!("not an event record: {e}")))?;
    let mut record = Fields::of(json).map_err(|e| damaged(format!("not an event record: {e}")))?;
    let schema = record.integer("schema").map_err(|e| damaged(format!("not an event record: {e}")))?;
    if schema != u64::from(LEGACY_SCHEMA) {
        return Err(damaged(format!("schema version {schema} is not one this app reads")));
    }
    let envelope = read_record(&mut record).map_err(|e| damaged(format!("not an event record: {e}")))?;
    if envelope.version != expected {
        return Err(damaged(format!("the record says version {}, its key {expected}", envelope.version)));
    }
    Ok(envelope)
}

fn read_record(record: &mut Fields) -> Result<Envelope, String> {
    let version = Version::new(record.integer("version")?);
    let sequence = Sequence(record.integer("sequence")?);
    let recorded_at = Timestamp(record.integer("recorded_at")?);
    let event_id = EventId::parse(&record.string("event_id")?).map_err(|e| e.to_string())?;
    let command_id = match record.take("command_id") {
        None | Some(Json::Null) => None,
        Some(Json::String(text)) => Some(CommandId::parse(&text).map_err(|e| e.to_string())?),
        Some(_) => return Err("command_id is not a string".into()),
    };
    let hash = ChainHash::parse_hex(&record.string("hash")?).ok_or("the hash is not 64 lowercase hex digits")?;
    let mut fields = Fields::of(record.take("event").ok_or("missing field `event`")?)?;
    let event = match fields.string("type")?.as_str() {
        "AccountOpened" => {
            let owner = Owner::parse(&fields.string("owner")?).map_err(|e| e.to_string())?;
            Event::AccountOpened { owner, initial_balance: fields.money("initial_balance")? }
        }
        "MoneyDeposited" => Event::MoneyDeposited { amount: fields.money("amount")? },
        "MoneyWithdrawn" => Event::MoneyWithdrawn { amount: fields.money("amount")? },
        other => return Err(format!("unknown event type `{other}`")),
    };
    fields.done()?;
    record.done()?;
    Ok(Envelope { version, sequence, recorded_at, event_id, command_id, schema: LEGACY_SCHEMA, event, hash })
}

/// A JSON object's members, taken one by one; any left over is an unknown
/// field.
struct Fields(Vec<(String, Json)>);

impl Fields {
    fn of(json: Json) -> Result<Fields, String> {
        match json {
            Json::Object(members) => Ok(Fields(members)),
            Json::Null | Json::Bool(_) | Json::Number(_) | Json::String(_) | Json::Array(_) => {
                Err("not a JSON object".into())
            }
        }
    }

    fn take(&mut self, name: &str) -> Option<Json> {
        let at = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.remove(at).1)
    }

    fn string(&mut self, name: &str) -> Result<String, String> {
        match self.take(name) {
            Some(Json::String(text)) => Ok(text),
            Some(_) => Err(format!("`{name}` is not a string")),
            None => Err(format!("missing field `{name}`")),
        }
    }

    fn integer(&mut self, name: &str) -> Result<u64, String> {
        match self.take(name) {
            Some(Json::Number(text)) => text.parse().map_err(|_| format!("`{name}` is not a whole number")),
            Some(_) => Err(format!("`{name}` is not a number")),
            None => Err(format!("missing field `{name}`")),
        }
    }

    fn money(&mut self, name: &str) -> Result<Money, String> {
        match self.take(name) {
            Some(Json::Number(text)) => {
                let units: f64 = text.parse().map_err(|_| format!("`{name}` is not a number"))?;
                Money::from_units_shown(units, |_| text.clone()).map_err(|e| e.to_string())
            }
            Some(_) => Err(format!("`{name}` is not a number")),
            None => Err(format!("missing field `{name}`")),
        }
    }

    fn done(&self) -> Result<(), String> {
        match self.0.first() {
            Some((name, _)) => Err(format!("unknown field `{name}`")),
            None => Ok(()),
        }
    }
}
