//! A pull: the events of the caller's ledger after a position of the
//! server's one order, oldest first, and the position to ask after next.
//! The same answer carries one account's events after a version (the
//! account read), and then the version to ask after next.

use super::wire::{into_text, read_server_event_list, write_server_events, ServerEvent};
use crate::store::json::{write_json_string, Fields, Json};

/// The most events one pull answers.
pub const MAX_PULL: usize = 1000;

/// `{"server":…,"events":[…],"next":…}`; `next` is what to ask `after`
/// next: the last event's position (a pull) or version (an account read),
/// or the `after` asked for when there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pulled {
    pub server: String,
    pub events: Vec<ServerEvent>,
    pub next: u64,
}

impl Pulled {
    pub fn write(&self) -> String {
        let mut out = b"{\"server\":".to_vec();
        write_json_string(&mut out, &self.server);
        out.extend_from_slice(b",\"events\":");
        write_server_events(&mut out, &self.events);
        out.extend_from_slice(format!(",\"next\":{}}}", self.next).as_bytes());
        into_text(out)
    }

    pub fn read(text: &str) -> Result<Pulled, String> {
        let mut fields = Fields::of(Json::parse(text)?)?;
        let server = fields.string("server")?;
        let events = read_server_event_list(fields.take("events").ok_or("missing field `events`")?)?;
        let next = fields.integer("next")?;
        fields.done()?;
        if events.windows(2).any(|w| w.first().map(|e| e.position) >= w.get(1).map(|e| e.position)) {
            return Err("the events are not in the order of their positions".into());
        }
        Ok(Pulled { server, events, next })
    }
}
