//! Deciding pending commands again on a new confirmed head: what a device
//! does when the server's history moved under its pending work.
//!
//! A pending event stands for its command (an event maps back to exactly
//! one command: [`Event::command`]). On a new head each is first looked
//! for among the events the server holds (its own work, confirmed: an
//! answer was lost, a tab handed over) and otherwise decided again, in
//! order, with its event id, time and command id, against the state the
//! events before it leave. One that no longer passes is rejected, never
//! applied anyway; after a rejected opening, every pending command of the
//! account is rejected too: it was made on an account the server's history
//! gives to someone else.

use std::collections::HashMap;

use crate::domain::{Command, Event, Facts};
use crate::store::{ChainHash, CommandId, Envelope, EventId, Timestamp, Tip};

/// What identifies a pending event among the server's whatever its version
/// and chain: its id and what its author fixed (time, command id, event).
pub type Held = HashMap<EventId, (Timestamp, Option<CommandId>, Event)>;

/// The identity of each of `events`, for [`rebase`].
pub fn held<'a>(events: impl IntoIterator<Item = &'a Envelope>) -> Held {
    events.into_iter().map(|e| (e.event_id.clone(), (e.recorded_at, e.command_id.clone(), e.event.clone()))).collect()
}

/// The code of a command rejected because the opening it was made on was.
pub const OPENED_ELSEWHERE: &str = "OpenedElsewhere";

/// A pending command the server's history refused, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The event as it was last decided: its command, ids and time.
    pub envelope: Envelope,
    /// A stable name: the domain's error code, [`OPENED_ELSEWHERE`], or the
    /// server's code for an event it refused.
    pub code: String,
    pub message: String,
}

impl Rejection {
    /// The command the user asked for.
    pub fn command(&self) -> Command {
        self.envelope.event.command()
    }
}

/// What [`rebase`] made of a pending log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rebased {
    /// The commands still pending, decided on the new head: linked to it.
    pub pending: Vec<Envelope>,
    /// Pending events the server holds already: confirmed, not decided again.
    pub confirmed: Vec<Envelope>,
    pub rejected: Vec<Rejection>,
    /// Whether any pending event changed (version, hash or event): the log
    /// must be written again.
    pub changed: bool,
}

/// Decides `pending` again after `tip` (the confirmed head), skipping
/// those `held` names (the server holds them: the same id, time, command
/// id and event; an event of another's under a pending event's id is not
/// this device's, and the server refuses the pending one when it comes).
///
/// One command's events (consecutive pending events under one command id:
/// a decision of several events) go together, never split: confirmed when
/// the server holds every one, else decided again as one command, whose
/// events must all be admitted, or all are rejected.
pub fn rebase(tip: &Tip, held: &Held, pending: &[Envelope]) -> Rebased {
    let mut next = tip.clone();
    let mut out = Rebased::default();
    let mut opening_rejected = false;
    for group in decisions(pending) {
        let Some(first) = group.first() else { continue };
        let same = |old: &Envelope| {
            held.get(&old.event_id)
                .is_some_and(|(at, command_id, event)| (*at, command_id, event) == (old.recorded_at, &old.command_id, &old.event))
        };
        if group.iter().all(same) {
            out.confirmed.extend(group.iter().cloned());
            out.changed = true;
            continue;
        }
        let command = first.event.command();
        let reject = |code: &str, message: &str| -> Vec<Rejection> {
            group
                .iter()
                .map(|old| Rejection { envelope: old.clone(), code: code.to_owned(), message: message.to_owned() })
                .collect()
        };
        if opening_rejected {
            let id = tip.account.id();
            let message = format!(
                "account {id} was opened on another device first; this command was made on the account this device opened, which was rejected"
            );
            out.rejected.extend(reject(OPENED_ELSEWHERE, &message));
            out.changed = true;
            continue;
        }
        match decided(&next, group, &command) {
            Ok((envelopes, after)) => {
                out.changed |= envelopes.as_slice() != group;
                out.pending.extend(envelopes);
                next = after;
            }
            Err((code, message)) => {
                opening_rejected = matches!(command, Command::OpenAccount { .. });
                out.rejected.extend(reject(code, &message));
                out.changed = true;
            }
        }
    }
    out
}

/// `pending` cut into decisions: the events of one command (consecutive,
/// under one command id) together, every other event alone.
fn decisions(pending: &[Envelope]) -> Vec<&[Envelope]> {
    let mut groups = Vec::new();
    let mut start = 0;
    for (at, pair) in pending.windows(2).enumerate() {
        let [a, b] = pair else { continue };
        if a.command_id.is_none() || a.command_id != b.command_id {
            groups.push(pending.get(start..=at).unwrap_or_default());
            start = at + 1;
        }
    }
    if start < pending.len() {
        groups.push(pending.get(start..).unwrap_or_default());
    }
    groups
}

/// `old`'s command decided on `tip`: the events it makes, as the next
/// versions with `old`'s ids, times and sequences in order, linked to the
/// tip and each admitted; with the tip after them. The command must make
/// as many events as it did: their ids are fixed.
fn decided(tip: &Tip, old: &[Envelope], command: &Command) -> Result<(Vec<Envelope>, Tip), (&'static str, String)> {
    // Today's commands ask nothing of history (`BankAccount::questions`);
    // the first that does is answered here from the device's confirmed and
    // pending events (docs/command-step.md, "Rebase").
    let events = tip.account.decide(command, &Facts::NONE).map_err(|e| (e.code(), e.to_string()))?;
    if events.len() != old.len() {
        let message = format!("the command now makes {} events, not the {} it made", events.len(), old.len());
        return Err(("Undecidable", message));
    }
    let mut next = tip.clone();
    let mut envelopes = Vec::with_capacity(old.len());
    for (event, old) in events.into_iter().zip(old) {
        let mut envelope = Envelope { version: next.version().next(), event, hash: ChainHash::GENESIS, ..old.clone() };
        envelope.hash = ChainHash::link(&next.hash, next.account.id(), &envelope);
        next.admit(&envelope).map_err(|reason| ("Undecidable", reason))?;
        envelopes.push(envelope);
    }
    Ok((envelopes, next))
}
