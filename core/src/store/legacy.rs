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

use serde::{Deserialize, Serialize};

use super::{ChainHash, CommandId, Envelope, EventId, Sequence, StoreError, Timestamp};
use crate::domain::{Event, Version};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordIn {
    schema: u32,
    version: Version,
    sequence: Sequence,
    recorded_at: Timestamp,
    event_id: EventId,
    #[serde(default)]
    command_id: Option<CommandId>,
    event: Event,
    hash: ChainHash,
}

#[derive(Deserialize)]
struct SchemaOnly {
    schema: u32,
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
pub fn decode_record(key: &str, expected: Version, text: &str) -> Result<Envelope, StoreError> {
    let damaged = |reason: String| StoreError::Corrupt { key: key.to_owned(), reason };
    let record: RecordIn = match serde_json::from_str(text) {
        Ok(record) => record,
        Err(error) => {
            return Err(damaged(match serde_json::from_str::<SchemaOnly>(text) {
                Ok(SchemaOnly { schema }) if schema != LEGACY_SCHEMA => {
                    format!("schema version {schema} is not one this app reads")
                }
                _ => format!("not an event record: {error}"),
            }))
        }
    };
    if record.schema != LEGACY_SCHEMA {
        return Err(damaged(format!("schema version {} is not one this app reads", record.schema)));
    }
    if record.version != expected {
        return Err(damaged(format!("the record says version {}, its key {expected}", record.version)));
    }
    Ok(Envelope {
        version: record.version,
        sequence: record.sequence,
        recorded_at: record.recorded_at,
        event_id: record.event_id,
        command_id: record.command_id,
        schema: record.schema,
        event: record.event,
        hash: record.hash,
    })
}
