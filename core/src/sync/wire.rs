//! The sync API's JSON (docs/sync-protocol.md), written and read once for
//! the server and its clients. An event travels as the members that
//! identify and chain it (docs/event-identity.md); export lines, pushes,
//! pulls and conflicts put their own members around them.
//!
//! ```text
//! "version":4,"recorded_at":1700000000000,"event_id":"…","command_id":"…","event":{…},"hash":"…"
//! ```
//!
//! `command_id` is there only when the command had one.

use crate::domain::{AccountId, Version};
use crate::store::json::{write_event_json, write_json_string, Fields, Json};
use crate::store::{ChainHash, CommandId, Envelope, EventId, Sequence, Timestamp, SCHEMA_VERSION};

/// Writes the members of `envelope` that every device agrees on (no
/// braces): the caller adds its own around them.
pub fn write_event_members(out: &mut Vec<u8>, envelope: &Envelope) {
    out.extend_from_slice(
        format!("\"version\":{},\"recorded_at\":{},\"event_id\":", envelope.version, envelope.recorded_at.0).as_bytes(),
    );
    write_json_string(out, envelope.event_id.as_str());
    if let Some(command_id) = &envelope.command_id {
        out.extend_from_slice(b",\"command_id\":");
        write_json_string(out, command_id.as_str());
    }
    out.extend_from_slice(b",\"event\":");
    write_event_json(out, &envelope.event);
    out.extend_from_slice(format!(",\"hash\":\"{}\"", envelope.hash).as_bytes());
}

/// Takes the members [`write_event_members`] writes out of `fields` (the
/// caller checks that nothing else is left). The envelope's sequence is
/// `sequence`: where the event sits in the reader's own order.
pub fn read_event_members(fields: &mut Fields, sequence: Sequence) -> Result<Envelope, String> {
    let version = Version::new(fields.integer("version")?);
    if version == Version::EMPTY {
        return Err("`version` starts at 1".into());
    }
    let recorded_at = Timestamp(fields.integer("recorded_at")?);
    let event_id = EventId::parse(&fields.string("event_id")?).map_err(|e| format!("event_id: {e}"))?;
    let command_id = match fields.take("command_id") {
        None | Some(Json::Null) => None,
        Some(Json::String(text)) => Some(CommandId::parse(&text).map_err(|e| format!("command_id: {e}"))?),
        Some(_) => return Err("`command_id` is not a string".into()),
    };
    let event = fields.event("event")?;
    let hash = ChainHash::parse_hex(&fields.string("hash")?).ok_or("`hash` is not 64 lowercase hex digits")?;
    Ok(Envelope { version, sequence, recorded_at, event_id, command_id, schema: SCHEMA_VERSION, event, hash })
}

/// An event as the server holds it: where it stands in the server's one
/// order, its account, and who stored it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerEvent {
    pub position: u64,
    pub account: AccountId,
    /// The device (or `POST` caller) the server stored it for, from its token.
    pub device: String,
    pub envelope: Envelope,
}

/// `{"position":…,"account":…,"device":…, members}`.
pub fn write_server_event(out: &mut Vec<u8>, event: &ServerEvent) {
    out.extend_from_slice(format!("{{\"position\":{},\"account\":", event.position).as_bytes());
    write_json_string(out, event.account.as_str());
    out.extend_from_slice(b",\"device\":");
    write_json_string(out, &event.device);
    out.push(b',');
    write_event_members(out, &event.envelope);
    out.push(b'}');
}

/// Reads what [`write_server_event`] writes; the envelope's sequence is its
/// position.
pub fn read_server_event(json: Json) -> Result<ServerEvent, String> {
    let mut fields = Fields::of(json)?;
    let position = fields.integer("position")?;
    let account = AccountId::parse(&fields.string("account")?).map_err(|e| format!("account: {e}"))?;
    let device = fields.string("device")?;
    let envelope = read_event_members(&mut fields, Sequence(position))?;
    fields.done()?;
    Ok(ServerEvent { position, account, device, envelope })
}

/// A list of server events as a JSON array.
pub fn write_server_events(out: &mut Vec<u8>, events: &[ServerEvent]) {
    out.push(b'[');
    for (n, event) in events.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_server_event(out, event);
    }
    out.push(b']');
}

/// Reads a JSON array of server events.
pub fn read_server_event_list(json: Json) -> Result<Vec<ServerEvent>, String> {
    match json {
        Json::Array(items) => items.into_iter().map(read_server_event).collect(),
        Json::Null | Json::Bool(_) | Json::Number(_) | Json::String(_) | Json::Object(_) => {
            Err("the events are not a JSON array".into())
        }
    }
}

/// Text the writers above made: always UTF-8.
pub(crate) fn into_text(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_default()
}
