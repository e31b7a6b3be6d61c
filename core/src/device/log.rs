//! One account's pending log as stored: the events decided on this device
//! that the server has not confirmed yet, and the commands the server's
//! history refused, in one value, so one write changes both at once (the
//! log's commit point).
//!
//! ```text
//! {"format":1,
//!  "events":[{"sequence":7,"version":4,"recorded_at":…,"event_id":…,"command_id":…,"event":{…},"hash":…},…],
//!  "rejected":[{"sequence":5,"version":3,…,"code":"InsufficientFunds","message":"…"},…]}
//! ```
//!
//! Events carry the members every device agrees on (sync/wire.rs) and the
//! device's own sequence number; a rejection, the event as last decided
//! with its code and message.

use super::rebase::Rejection;
use crate::store::json::{write_json_string, Fields, Json};
use crate::store::{Envelope, Sequence};
use crate::sync::{read_event_members, write_event_members};

/// The log's format number: a change to the value's form is a new one.
pub const LOG_FORMAT: u64 = 1;

/// An account's pending events, oldest first, and its rejections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingLog {
    pub events: Vec<Envelope>,
    pub rejected: Vec<Rejection>,
}

impl PendingLog {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.rejected.is_empty()
    }

    pub fn write(&self) -> String {
        let mut out = format!("{{\"format\":{LOG_FORMAT},\"events\":[").into_bytes();
        for (n, event) in self.events.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_sequenced(&mut out, event);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"rejected\":[");
        for (n, rejection) in self.rejected.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_sequenced(&mut out, &rejection.envelope);
            out.extend_from_slice(b",\"code\":");
            write_json_string(&mut out, &rejection.code);
            out.extend_from_slice(b",\"message\":");
            write_json_string(&mut out, &rejection.message);
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        String::from_utf8(out).unwrap_or_default()
    }

    /// Reads what [`PendingLog::write`] wrote, strictly: the events must be
    /// consecutive versions with rising sequence numbers.
    pub fn read(text: &str) -> Result<PendingLog, String> {
        let mut fields = Fields::of(Json::parse(text)?)?;
        let format = fields.integer("format")?;
        if format != LOG_FORMAT {
            return Err(format!("a pending log of format {format}, which this version does not read"));
        }
        let mut events: Vec<Envelope> = Vec::new();
        for item in array(fields.take("events"), "events")? {
            let mut fields = Fields::of(item)?;
            let sequence = Sequence(fields.integer("sequence")?);
            let event = read_event_members(&mut fields, sequence)?;
            fields.done()?;
            if let Some(before) = events.last() {
                if event.version != before.version.next() || event.sequence <= before.sequence {
                    return Err(format!("version {}: pending events must follow each other", event.version));
                }
            }
            events.push(event);
        }
        let mut rejected = Vec::new();
        for item in array(fields.take("rejected"), "rejected")? {
            let mut fields = Fields::of(item)?;
            let sequence = Sequence(fields.integer("sequence")?);
            let envelope = read_event_members(&mut fields, sequence)?;
            let code = fields.string("code")?;
            let message = fields.string("message")?;
            fields.done()?;
            rejected.push(Rejection { envelope, code, message });
        }
        fields.done()?;
        Ok(PendingLog { events, rejected })
    }
}

/// `{"sequence":…,` and the event's members (the caller closes the brace).
fn write_sequenced(out: &mut Vec<u8>, envelope: &Envelope) {
    out.extend_from_slice(format!("{{\"sequence\":{},", envelope.sequence.0).as_bytes());
    write_event_members(out, envelope);
}

fn array(json: Option<Json>, name: &str) -> Result<Vec<Json>, String> {
    match json {
        Some(Json::Array(items)) => Ok(items),
        Some(Json::Null | Json::Bool(_) | Json::Number(_) | Json::String(_) | Json::Object(_)) => {
            Err(format!("`{name}` is not an array"))
        }
        None => Err(format!("missing field `{name}`")),
    }
}
