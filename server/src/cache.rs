//! The service's per-account cache: each recently used account's [`Tip`]
//! and every command id its stream holds, so that a command needs no read
//! of its stream before it is decided.
//!
//! The invariant: a cached tip is only a starting point. It is always a
//! prefix of the stream (events are never changed or removed), but the
//! stream may have moved on (another server, or a request here that has
//! not reported back yet). Every append is checked by its expected version,
//! so a stale tip costs a conflict and a retry, never a wrong answer. The
//! command ids of an entry are those of at least every event up to its tip
//! (they are recorded before the tip that includes them is published), so a
//! command id missing from the entry is either new or after the tip, and an
//! append after the tip conflicts. A command id found is in the stream for
//! good, with the state its command left.
//!
//! Bounded: at most `capacity` accounts; when full, the least recently used
//! eighth is dropped (a scan, once per `capacity / 8` new accounts).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use ledger_core::{AccountId, BankAccount, CommandId, DayBook, Done, Envelope, Tip, Version};

use crate::store::Tenant;

/// Accounts kept, by default.
pub const CAPACITY: usize = 100_000;

#[derive(Debug)]
struct Entry {
    tip: Tip,
    done: HashMap<CommandId, Done>,
    /// The net per booking date and the opening, up to the tip: what the
    /// facts of a decision ask (service.rs).
    book: DayBook,
    used: u64,
}

#[derive(Debug, Default)]
struct Accounts {
    entries: HashMap<(Tenant, AccountId), Entry>,
    clock: u64,
}

/// The cache: one lock over a map (every operation under it is a lookup or
/// a few events' bookkeeping, never a wait on the database).
#[derive(Debug)]
pub struct TipCache {
    accounts: Mutex<Accounts>,
    capacity: usize,
}

/// An account as cached: its tip, and whether the command id asked about
/// was seen.
#[derive(Debug)]
pub struct Cached {
    pub tip: Tip,
    pub done: Option<Done>,
}

impl TipCache {
    pub fn new(capacity: usize) -> TipCache {
        TipCache { accounts: Mutex::new(Accounts::default()), capacity: capacity.max(1) }
    }

    fn lock(&self) -> MutexGuard<'_, Accounts> {
        // The map stays consistent whatever panicked while it was held.
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached tip of an account, and what `command_id` did if the
    /// account's stream holds it (as far as the cache knows). `None` when
    /// the account is not cached: its stream must be read from the start.
    pub fn get(&self, tenant: &Tenant, account: &AccountId, command_id: Option<&CommandId>) -> Option<Cached> {
        let mut accounts = self.lock();
        accounts.clock += 1;
        let now = accounts.clock;
        let entry = accounts.entries.get_mut(&(tenant.clone(), account.clone()))?;
        entry.used = now;
        let done = command_id.and_then(|id| entry.done.get(id).cloned());
        Some(Cached { tip: entry.tip.clone(), done })
    }

    /// Records `events`, which follow `before` in the account's stream and
    /// lead to `after`: their command ids, then `after` as the cached tip
    /// unless the cache is already further, or `before` is past the cached
    /// tip (the events between would be missing). With `before` at version 0 (a
    /// stream read from its start) the account is added if missing; a tip
    /// not at the start whose account is not cached (dropped meanwhile) is
    /// not added, as its command ids before `before` are unknown.
    pub fn record(&self, tenant: &Tenant, before: &Tip, events: &[Envelope], after: &Tip) {
        let key = (tenant.clone(), after.account.id().clone());
        let mut accounts = self.lock();
        accounts.clock += 1;
        let now = accounts.clock;
        if !accounts.entries.contains_key(&key) {
            // Only streams read from their start, and not empty ones.
            if before.version().get() != 0 || events.is_empty() {
                return;
            }
            if accounts.entries.len() >= self.capacity {
                evict(&mut accounts.entries, self.capacity);
            }
            let entry = Entry { tip: Tip::new(&key.1), done: HashMap::new(), book: DayBook::default(), used: now };
            accounts.entries.insert(key.clone(), entry);
        }
        let Some(entry) = accounts.entries.get_mut(&key) else { return };
        entry.used = now;
        // Only forward, and only without a gap: events after the entry's
        // tip that `events` does not hold would have command ids unknown.
        if after.version() <= entry.tip.version() || before.version() > entry.tip.version() {
            return;
        }
        let mut account: BankAccount = before.account.clone();
        let known = entry.tip.version();
        for envelope in events {
            account.apply(&envelope.event);
            if let Some(id) = &envelope.command_id {
                let state = account.state();
                let done = Done { id: id.clone(), command: envelope.event.command(), state: None };
                entry.done.entry(id.clone()).or_insert(done).state = state;
            }
            // The events up to the entry's tip are in its book already.
            if envelope.version > known {
                entry.book.admit(envelope);
            }
        }
        entry.tip = after.clone();
    }

    /// The account's day book and the version it is at, if the account is
    /// cached.
    pub fn book(&self, tenant: &Tenant, account: &AccountId) -> Option<(Version, DayBook)> {
        let accounts = self.lock();
        let entry = accounts.entries.get(&(tenant.clone(), account.clone()))?;
        Some((entry.tip.version(), entry.book.clone()))
    }

    /// Forgets an account (its stream could not be read as expected).
    pub fn forget(&self, tenant: &Tenant, account: &AccountId) {
        self.lock().entries.remove(&(tenant.clone(), account.clone()));
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops the least recently used eighth of the entries.
fn evict(entries: &mut HashMap<(Tenant, AccountId), Entry>, capacity: usize) {
    let drop = (capacity / 8).max(1);
    let mut ages: Vec<u64> = entries.values().map(|entry| entry.used).collect();
    ages.sort_unstable();
    let Some(&cutoff) = ages.get(drop.saturating_sub(1)) else { return };
    entries.retain(|_, entry| entry.used > cutoff);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::{ChainHash, Event, EventId, Money, NewEvent, Timestamp};

    fn after(tip: &Tip, events: &[(Event, Option<&str>)]) -> (Vec<Envelope>, Tip) {
        let mut next = tip.clone();
        let mut envelopes = Vec::new();
        for (n, (event, command_id)) in events.iter().enumerate() {
            let new = NewEvent {
                event_id: EventId::parse(&format!("e-{}-{n}", tip.version())).unwrap(),
                recorded_at: Timestamp(1),
                command_id: command_id.map(|id| CommandId::parse(id).unwrap()),
                event: event.clone(),
            };
            let mut envelope = new.into_envelope(next.version().next(), crate::store::SEQUENCE);
            envelope.hash = ChainHash::link(&next.hash, next.account.id(), &envelope);
            next.admit(&envelope).unwrap();
            envelopes.push(envelope);
        }
        (envelopes, next)
    }

    fn open() -> Event {
        Event::opened(ledger_core::Owner::parse("Alice").unwrap(), Money::from_cents(100).unwrap())
    }

    #[test]
    fn keeps_the_furthest_tip_and_every_command_id_up_to_it() {
        let cache = TipCache::new(10);
        let (tenant, id) = (Tenant::local(), AccountId::parse("a").unwrap());
        let c1 = CommandId::parse("c-1").unwrap();
        assert!(cache.get(&tenant, &id, None).is_none());
        let start = Tip::new(&id);
        let deposit = Event::deposited(Money::from_cents(5).unwrap());
        let (first, one) = after(&start, &[(open(), Some("c-1"))]);
        let (second, two) = after(&one, &[(deposit, None)]);
        cache.record(&tenant, &one, &second, &two);
        assert!(cache.get(&tenant, &id, None).is_none(), "a tip not from the start adds no account");
        cache.record(&tenant, &start, &first, &one);
        cache.record(&tenant, &one, &second, &two);
        cache.record(&tenant, &start, &first, &one);
        let c3 = CommandId::parse("c-3").unwrap();
        let (third, three) = after(&two, &[(Event::deposited(Money::from_cents(1).unwrap()), Some("c-3"))]);
        let (fourth, four) = after(&three, &[(Event::deposited(Money::from_cents(2).unwrap()), None)]);
        cache.forget(&tenant, &id);
        cache.record(&tenant, &start, &[first.clone(), second.clone()].concat(), &two);
        cache.record(&tenant, &three, &fourth, &four);
        assert_eq!(cache.get(&tenant, &id, None).unwrap().tip.version().get(), 2, "no gap: c-3 would be unknown");
        // From version 1: the second event is in the entry already.
        cache.record(&tenant, &one, &[second.clone(), third.clone(), fourth.clone()].concat(), &four);
        let cached = cache.get(&tenant, &id, Some(&c3)).unwrap();
        assert_eq!((cached.tip.version().get(), cached.done.and_then(|d| d.state).map(|s| s.version.get())), (4, Some(3)));
        cache.record(&tenant, &start, &first, &one);
        let cached = cache.get(&tenant, &id, Some(&c1)).unwrap();
        assert_eq!(cached.tip.version().get(), 4, "an older tip never replaces a newer one");
        let mut book = DayBook::default();
        for envelope in first.iter().chain(&second).chain(&third).chain(&fourth) {
            book.admit(envelope);
        }
        assert_eq!(cache.book(&tenant, &id), Some((Version::new(4), book)), "each event in the book once, overlaps or not");
        let done = cached.done.unwrap();
        assert_eq!(done.state.map(|s| s.version.get()), Some(1));
        assert!(cache.get(&tenant, &id, Some(&CommandId::parse("c-2").unwrap())).unwrap().done.is_none());
        cache.forget(&tenant, &id);
        assert!(cache.is_empty());
    }

    #[test]
    fn drops_the_least_recently_used_when_full() {
        let cache = TipCache::new(8);
        let tenant = Tenant::local();
        let ids: Vec<AccountId> = (0..9).map(|n| AccountId::parse(&format!("a{n}")).unwrap()).collect();
        for id in &ids[..8] {
            let start = Tip::new(id);
            let (events, tip) = after(&start, &[(open(), None)]);
            cache.record(&tenant, &start, &events, &tip);
        }
        assert!(cache.get(&tenant, &ids[0], None).is_some(), "a0 used again");
        let start = Tip::new(&ids[8]);
        let (events, tip) = after(&start, &[(open(), None)]);
        cache.record(&tenant, &start, &events, &tip);
        assert_eq!(cache.len(), 8);
        assert!(cache.get(&tenant, &ids[0], None).is_some());
        assert!(cache.get(&tenant, &ids[1], None).is_none(), "the least recently used went");
    }
}
