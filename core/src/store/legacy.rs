//! Format 1, the first storage format: one JSON object per event and key.
//! It is read, never written, by the app: the upcaster below turns each
//! record into the current [`Envelope`], and the store's migration rewrites
//! the records in format 2 (segment.rs). Tests write format 1 data with
//! `testing::encode_record`.
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

use super::json::{Fields, Json};

use super::{ChainHash, CommandId, Envelope, EventId, Sequence, StoreError, Timestamp};
use crate::domain::Version;

/// The schema version of format 1 records.
pub const LEGACY_SCHEMA: u32 = 1;

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
    let event = record.event("event")?;
    record.done()?;
    Ok(Envelope { version, sequence, recorded_at, event_id, command_id, schema: LEGACY_SCHEMA, event, hash })
}
