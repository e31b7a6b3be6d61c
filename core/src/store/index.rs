//! The indexes a reader of one stream keeps as events are appended or read,
//! so that the facts a decision asks for ([`crate::domain::Question`]) are
//! answered without reading the stream from its start
//! (docs/command-step.md):
//!
//! - [`DayBook`]: the net change per booking date and the opening's id —
//!   small (one entry per day used), kept by the browser's cached account
//!   and the server's tip cache alike;
//! - [`IdIndex`]: event id → version, for the browser (the server asks its
//!   database by primary key instead). It keeps a 64-bit digest of each id,
//!   not the id: the event at the version found is read and its id compared,
//!   so a digest shared by two ids costs a read, never a wrong answer.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use super::{Envelope, EventId};
use crate::domain::{BookedBalance, Date, StreamHead, Version};

/// A stream's net change per booking date, and its opening's id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayBook {
    nets: BTreeMap<Date, i128>,
    opening: Option<EventId>,
}

impl DayBook {
    /// Takes the stream's next event (the caller has admitted it).
    pub fn admit(&mut self, envelope: &Envelope) {
        *self.nets.entry(envelope.booked()).or_default() += envelope.event.change().cents;
        if envelope.event.is_opening() {
            self.opening = Some(envelope.event_id.clone());
        }
    }

    /// The balance booked up to the end of `date`: every event booked on or
    /// before it.
    pub fn balance_at_end_of(&self, date: Date) -> BookedBalance {
        BookedBalance { cents: self.nets.range(..=date).map(|(_, net)| net).sum() }
    }

    /// The stream's head, once it has an opening, where `version` is the
    /// version of the last event taken.
    pub fn head(&self, version: Version) -> Option<StreamHead> {
        Some(StreamHead { version, opening: self.opening.clone()? })
    }

    /// `self` (the events up to some version) followed by `later` (the
    /// events after it).
    pub fn join(&mut self, later: DayBook) {
        for (date, net) in later.nets {
            *self.nets.entry(date).or_default() += net;
        }
        self.opening = later.opening.or(self.opening.take());
    }
}

/// A stream's event ids, each to the version it has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdIndex {
    versions: HashMap<u64, Version>,
    /// Versions whose id's digest was already taken (almost always empty).
    shared: Vec<(u64, Version)>,
}

fn digest(id: &EventId) -> u64 {
    let mut hasher = DefaultHasher::new();
    id.as_str().hash(&mut hasher);
    hasher.finish()
}

impl IdIndex {
    pub fn admit(&mut self, envelope: &Envelope) {
        let digest = digest(&envelope.event_id);
        if let Some(first) = self.versions.insert(digest, envelope.version) {
            self.versions.insert(digest, first);
            self.shared.push((digest, envelope.version));
        }
    }

    /// The versions that may hold `id`, oldest first: read each and compare
    /// ids (an id is unique in a stream, so at most one matches).
    pub fn candidates(&self, id: &EventId) -> Vec<Version> {
        let digest = digest(id);
        let shared = self.shared.iter().filter(|(d, _)| *d == digest).map(|(_, v)| *v);
        self.versions.get(&digest).copied().into_iter().chain(shared).collect()
    }

    pub fn join(&mut self, later: IdIndex) {
        for (digest, version) in later.versions {
            if let Some(first) = self.versions.insert(digest, version) {
                self.versions.insert(digest, first);
                self.shared.push((digest, version));
            }
        }
        self.shared.extend(later.shared);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Event, Money, Owner};
    use crate::store::{NewEvent, Sequence, Timestamp};

    const DAY: u64 = 86_400_000;

    fn envelope(version: u64, id: &str, day: u64, event: Event) -> Envelope {
        let new =
            NewEvent { event_id: EventId::parse(id).unwrap(), recorded_at: Timestamp(day * DAY + 5), command_id: None, event };
        new.into_envelope(Version::new(version), Sequence(version))
    }

    fn stream() -> Vec<Envelope> {
        let cents = |c| Money::from_cents(c).unwrap();
        vec![
            envelope(1, "open", 10, Event::opened(Owner::parse("Ann").unwrap(), cents(100))),
            envelope(2, "d", 10, Event::deposited(cents(50))),
            envelope(3, "w", 12, Event::withdrawn(cents(30))),
            // Recorded on an earlier day than the event before it (another
            // device's clock): booked on its own day.
            envelope(4, "late", 11, Event::withdrawn(cents(120))),
        ]
    }

    #[test]
    fn a_day_book_answers_balances_by_booking_date_and_the_opening() {
        let mut book = DayBook::default();
        assert_eq!(book.head(Version::EMPTY), None);
        for e in &stream() {
            book.admit(e);
        }
        let at = |day| book.balance_at_end_of(Date::of_unix_millis(day * DAY)).cents;
        assert_eq!([at(9), at(10), at(11), at(12), at(400)], [0, 150, 30, 0, 0]);
        assert_eq!(
            book.head(Version::new(4)),
            Some(StreamHead { version: Version::new(4), opening: EventId::parse("open").unwrap() })
        );

        let (mut first, mut second) = (DayBook::default(), DayBook::default());
        let events = stream();
        events[..2].iter().for_each(|e| first.admit(e));
        events[2..].iter().for_each(|e| second.admit(e));
        first.join(second);
        assert_eq!(first, book, "joined halves are the whole");
    }

    #[test]
    fn an_id_index_finds_every_id_and_names_only_candidates() {
        let mut index = IdIndex::default();
        for e in &stream() {
            index.admit(e);
        }
        for e in &stream() {
            assert_eq!(index.candidates(&e.event_id), vec![e.version]);
        }
        assert!(index.candidates(&EventId::parse("nope").unwrap()).is_empty());
        // A digest already taken: both versions are candidates.
        let taken = digest(&EventId::parse("d").unwrap());
        index.shared.push((taken, Version::new(9)));
        assert_eq!(index.candidates(&EventId::parse("d").unwrap()), vec![Version::new(2), Version::new(9)]);

        let (mut first, mut second) = (IdIndex::default(), IdIndex::default());
        let events = stream();
        events[..1].iter().for_each(|e| first.admit(e));
        events[1..].iter().for_each(|e| second.admit(e));
        first.join(second);
        assert_eq!(first.candidates(&EventId::parse("late").unwrap()), vec![Version::new(4)]);
    }
}
