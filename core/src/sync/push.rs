//! A push: a device's new events for one account, after the version it last
//! saw there. What the server makes of one is decided here, as a plain
//! function of the stream it holds, so every rule is the core's.

use std::collections::HashSet;

use super::wire::{into_text, read_event_members, write_event_members, write_server_events, ServerEvent};
use crate::domain::{AccountId, Version};
use crate::store::json::{write_json_string, Fields, Json};
use crate::store::{Envelope, Sequence, Tip};

/// The most events one push carries.
pub const MAX_PUSH: usize = 256;

crate::coded::coded_error! {
    /// Why a push is refused whole (HTTP 400): nothing of it is stored.
    pub enum PushError {
        #[error("{reason}")]
        InvalidPush { reason: String } => "InvalidPush",
        #[error("version {version}: {reason}")]
        InvalidEvent { version: Version, reason: String } => "InvalidEvent",
    }
}

fn invalid_push(reason: impl Into<String>) -> PushError {
    PushError::InvalidPush { reason: reason.into() }
}

/// `{"after":3,"events":[{members},…]}`: events `after + 1`, `after + 2`, …
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    pub after: Version,
    pub events: Vec<Envelope>,
}

impl Push {
    pub fn write(&self) -> String {
        let mut out = format!("{{\"after\":{},\"events\":[", self.after).into_bytes();
        for (n, event) in self.events.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.push(b'{');
            write_event_members(&mut out, event);
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        into_text(out)
    }

    /// Reads a push body: strict (unknown members refused), 1 to
    /// [`MAX_PUSH`] events numbered from `after + 1` without a gap.
    pub fn read(body: &str) -> Result<Push, PushError> {
        let json = Json::parse(body).map_err(|e| invalid_push(format!("the body is not JSON: {e}")))?;
        let mut fields = Fields::of(json).map_err(|_| invalid_push("a push is an object {\"after\":…,\"events\":[…]}"))?;
        let after = Version::new(fields.integer("after").map_err(invalid_push)?);
        let items = match fields.take("events") {
            Some(Json::Array(items)) => items,
            Some(_) => return Err(invalid_push("`events` is not an array")),
            None => return Err(invalid_push("missing field `events`")),
        };
        fields.done().map_err(invalid_push)?;
        if items.is_empty() || items.len() > MAX_PUSH {
            return Err(invalid_push(format!("a push carries 1 to {MAX_PUSH} events, not {}", items.len())));
        }
        let mut events = Vec::with_capacity(items.len());
        let last = after.get().saturating_add(u64::try_from(items.len()).unwrap_or(u64::MAX));
        let mut due = after;
        for item in items {
            due = due.next();
            let at = |reason: String| PushError::InvalidEvent { version: due, reason };
            let mut fields = Fields::of(item).map_err(at)?;
            let event = read_event_members(&mut fields, Sequence(0)).map_err(at)?;
            fields.done().map_err(at)?;
            if event.version != due {
                return Err(at(format!("the events must be versions {} to {last} in order", after.next())));
            }
            events.push(event);
        }
        Ok(Push { after, events })
    }
}

/// What the server does with a push, given its stream as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushPlan {
    /// Every event pushed is stored already, exactly as pushed (a retry):
    /// nothing is written, and the answer is what it was the first time.
    Stored { version: Version },
    /// Append `events` (checked: versions, hash chain, rules) with
    /// `expected` as the expected version. The events before them, if any,
    /// were stored already.
    Append { expected: Version, events: Vec<Envelope> },
    /// The stream has events after what the push and the server share: the
    /// device must take `missing` first (HTTP 409).
    Behind { version: Version, missing: Vec<Envelope> },
}

/// Decides a push against `stream`, every event the server holds for the
/// account, oldest first, which `tip` has admitted. Pushed events that are
/// stored already (same version, id and hash) are skipped; the rest must
/// follow the stream's last event, each admitted by the tip in turn (next
/// version, hash chain, the account's rules) and with an event id the
/// stream has not used.
pub fn plan_push(tip: &Tip, stream: &[Envelope], push: Push) -> Result<PushPlan, PushError> {
    let Push { after, events } = push;
    let stored = |version: Version| stream.get(usize::try_from(version.get()).ok()?.checked_sub(1)?);
    let same = |e: &Envelope| stored(e.version).is_some_and(|s| s.event_id == e.event_id && s.hash == e.hash);
    let matched = events.iter().take_while(|e| same(e)).count();
    let shared = Version::new(after.get() + u64::try_from(matched).unwrap_or(u64::MAX));
    let Some(first_new) = events.get(matched) else {
        return Ok(PushPlan::Stored { version: shared });
    };
    if tip.version() != shared {
        let missing = stream.iter().filter(|e| e.version > shared).cloned().collect();
        return Ok(PushPlan::Behind { version: tip.version(), missing });
    }
    let mut ids: HashSet<&str> = stream.iter().map(|e| e.event_id.as_str()).collect();
    let mut next = tip.clone();
    let rest: Vec<Envelope> = events.get(matched..).unwrap_or_default().to_vec();
    for event in &rest {
        let refuse = |reason: String| PushError::InvalidEvent { version: event.version, reason };
        if !ids.insert(event.event_id.as_str()) {
            return Err(refuse(format!("event id {} is already used in this account", event.event_id)));
        }
        next.admit(event).map_err(refuse)?;
    }
    debug_assert_eq!(first_new.version, shared.next());
    Ok(PushPlan::Append { expected: shared, events: rest })
}

/// The answer to a push that is stored: `{"server","account","version","position"}`,
/// where `position` is the server's position of the account's last event
/// the push carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    pub server: String,
    pub account: AccountId,
    pub version: Version,
    pub position: u64,
}

impl Pushed {
    pub fn write(&self) -> String {
        let mut out = b"{\"server\":".to_vec();
        write_json_string(&mut out, &self.server);
        out.extend_from_slice(b",\"account\":");
        write_json_string(&mut out, self.account.as_str());
        out.extend_from_slice(format!(",\"version\":{},\"position\":{}}}", self.version, self.position).as_bytes());
        into_text(out)
    }

    pub fn read(text: &str) -> Result<Pushed, String> {
        let mut fields = Fields::of(Json::parse(text)?)?;
        let server = fields.string("server")?;
        let account = AccountId::parse(&fields.string("account")?).map_err(|e| e.to_string())?;
        let version = Version::new(fields.integer("version")?);
        let position = fields.integer("position")?;
        fields.done()?;
        Ok(Pushed { server, account, version, position })
    }
}

/// The answer to a push that is behind (HTTP 409): the error's code and
/// message, the stream's version, and the events the device lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behind {
    pub server: String,
    pub account: AccountId,
    pub version: Version,
    pub missing: Vec<ServerEvent>,
}

impl Behind {
    pub const CODE: &'static str = "Behind";

    pub fn write(&self) -> String {
        let message = format!(
            "account {} is at version {} on the server: take the {} events you lack, then push again",
            self.account,
            self.version,
            self.missing.len()
        );
        let mut out = format!("{{\"code\":\"{}\",\"message\":", Behind::CODE).into_bytes();
        write_json_string(&mut out, &message);
        out.extend_from_slice(b",\"server\":");
        write_json_string(&mut out, &self.server);
        out.extend_from_slice(b",\"account\":");
        write_json_string(&mut out, self.account.as_str());
        out.extend_from_slice(format!(",\"version\":{},\"missing\":", self.version).as_bytes());
        write_server_events(&mut out, &self.missing);
        out.push(b'}');
        into_text(out)
    }

    pub fn read(text: &str) -> Result<Behind, String> {
        let mut fields = Fields::of(Json::parse(text)?)?;
        if fields.string("code")? != Behind::CODE {
            return Err(format!("not a `{}` answer", Behind::CODE));
        }
        fields.string("message")?;
        let server = fields.string("server")?;
        let account = AccountId::parse(&fields.string("account")?).map_err(|e| e.to_string())?;
        let version = Version::new(fields.integer("version")?);
        let missing = super::wire::read_server_event_list(fields.take("missing").ok_or("missing field `missing`")?)?;
        fields.done()?;
        Ok(Behind { server, account, version, missing })
    }
}
