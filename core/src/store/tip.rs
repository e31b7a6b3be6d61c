//! The rules every stored stream obeys, as plain functions any store or
//! reader calls (the browser's stores, `verify`, and a server's store
//! alike): versions count up from 1 without a gap, each event's hash links
//! it to the one before (chain.rs), and each event is one the account's
//! rules could have produced.

use super::{ChainHash, Envelope, EventStore, StoreError};
use crate::domain::{AccountId, BankAccount, Version};

/// Where a reader of one stream stands: the account its events make so
/// far, and the chain hash of the last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tip {
    pub account: BankAccount,
    pub hash: ChainHash,
}

impl Tip {
    /// Before the stream's first event.
    pub fn new(stream: &AccountId) -> Tip {
        Tip { account: BankAccount::new(stream.clone()), hash: ChainHash::GENESIS }
    }

    pub fn version(&self) -> Version {
        self.account.version()
    }

    /// Takes the stream's next stored event, if it may follow: the next
    /// version, linked to this tip's hash, allowed by the account's rules.
    /// Otherwise says why not, and the tip stays where it was.
    pub fn admit(&mut self, envelope: &Envelope) -> Result<(), String> {
        let version = envelope.version;
        if version != self.version().next() {
            return Err(format!("version {version}: expected version {}", self.version().next()));
        }
        if ChainHash::link(&self.hash, self.account.id(), envelope) != envelope.hash {
            return Err(format!("version {version}: the hash chain is broken, an event before it was changed"));
        }
        if let Err(rule) = self.account.check(&envelope.event) {
            return Err(format!("version {version}: this event breaks the account's rules: {rule}"));
        }
        self.account.apply(&envelope.event);
        self.hash = envelope.hash;
        Ok(())
    }
}

/// [`EventStore::read_from`] for a store whose events at `version` are kept
/// under `key(version)`: reads after the tip (up to `until`, every one of
/// which must be there), and admits each event in turn.
pub(crate) fn read_admitted<S: EventStore + ?Sized>(
    store: &S,
    stream: &AccountId,
    tip: &mut Tip,
    until: Option<Version>,
    key: impl Fn(Version) -> String,
) -> Result<Vec<Envelope>, StoreError> {
    let after = tip.version();
    let events = match until {
        Some(until) => {
            store.read_page(stream, after, usize::try_from(until.get().saturating_sub(after.get())).unwrap_or(usize::MAX))?
        }
        None => store.read(stream, after)?,
    };
    let mut next = tip.clone();
    for envelope in &events {
        next.admit(envelope).map_err(|reason| StoreError::Corrupt { key: key(envelope.version), reason })?;
    }
    if let Some(until) = until.filter(|until| next.version() < *until) {
        let reason = format!("events are missing: the stream ends at version {}, before version {until}", next.version());
        return Err(StoreError::Corrupt { key: key(next.version().next()), reason });
    }
    *tip = next;
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Event, Money, Owner};
    use crate::store::{EventId, NewEvent, Sequence, Timestamp};

    fn linked(tip: &Tip, event: Event) -> Envelope {
        let new = NewEvent { event_id: EventId::parse("e").unwrap(), recorded_at: Timestamp(1), command_id: None, event };
        let mut envelope = new.into_envelope(tip.version().next(), Sequence(tip.version().get() + 1));
        envelope.hash = ChainHash::link(&tip.hash, tip.account.id(), &envelope);
        envelope
    }

    fn cents(c: u64) -> Money {
        Money::from_cents(c).unwrap_or_default()
    }

    #[test]
    fn a_tip_admits_only_the_next_linked_lawful_event() {
        let stream = AccountId::parse("acc").unwrap();
        let mut tip = Tip::new(&stream);
        let owner = Owner::parse("Ann").unwrap();
        let opened = linked(&tip, Event::opened(owner, cents(100)));
        assert_eq!(tip.admit(&opened), Ok(()));
        assert_eq!((tip.version(), tip.hash, tip.account.balance()), (Version::new(1), opened.hash, cents(100)));

        let before = tip.clone();
        let overdraft = linked(&tip, Event::withdrawn(cents(101)));
        assert!(tip.admit(&overdraft).is_err_and(|why| why.contains("rules")));
        let mut unlinked = linked(&tip, Event::deposited(cents(1)));
        unlinked.hash = ChainHash::GENESIS;
        assert!(tip.admit(&unlinked).is_err_and(|why| why.contains("hash chain")));
        let mut skipped = linked(&tip, Event::deposited(cents(1)));
        skipped.version = Version::new(3);
        assert!(tip.admit(&skipped).is_err_and(|why| why.contains("expected version 2")));
        assert_eq!(tip, before, "a refused event leaves the tip where it was");
        assert_eq!(tip.admit(&linked(&tip, Event::deposited(cents(1)))), Ok(()));
    }
}
