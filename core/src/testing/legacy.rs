//! Writes format 1 (see `store/legacy.rs`, which only reads it), for tests
//! of the migration and of reading old data.

use serde::Serialize;

use crate::domain::{Event, Version};
use crate::store::{ChainHash, CommandId, Envelope, EventId, Sequence, Timestamp, LEGACY_SCHEMA};

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
