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
//!   not the id: the event at a version found is read and its id compared,
//!   so a digest shared by two ids costs a read, never a wrong answer.
//!
//! Both are vectors, not maps: a map's code for new key types cost the
//! download 2.4 KB gzip (docs/size.md).

use super::{Envelope, EventId};
use crate::domain::{BookedBalance, Date, StreamHead, Version};

/// A stream's net change per booking date, and its opening's id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayBook {
    /// By date, each date once. A vector, not a map: dates mostly arrive in
    /// order (an append at the end), and it costs the download less.
    nets: Vec<(Date, i128)>,
    opening: Option<EventId>,
}

impl DayBook {
    /// Takes the stream's next event (the caller has admitted it).
    pub fn admit(&mut self, envelope: &Envelope) {
        self.add(envelope.booked(), envelope.event.change().cents);
        if envelope.event.is_opening() {
            self.opening = Some(envelope.event_id.clone());
        }
    }

    fn add(&mut self, date: Date, cents: i128) {
        match self.nets.last_mut() {
            Some((last, net)) if *last == date => *net += cents,
            Some((last, _)) if *last > date => {
                let at = self.nets.partition_point(|(d, _)| *d < date);
                match self.nets.get_mut(at) {
                    Some((d, net)) if *d == date => *net += cents,
                    _ => self.nets.insert(at, (date, cents)),
                }
            }
            _ => self.nets.push((date, cents)),
        }
    }

    /// The balance booked up to the end of `date`: every event booked on or
    /// before it.
    pub fn balance_at_end_of(&self, date: Date) -> BookedBalance {
        BookedBalance { cents: self.nets.iter().take_while(|(d, _)| *d <= date).map(|(_, net)| net).sum() }
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
            self.add(date, net);
        }
        self.opening = later.opening.or(self.opening.take());
    }
}

/// A stream's event ids: a 64-bit digest of each, by version (index 0 is
/// the first event the index took). A look-up scans the digests (about
/// 0.1 ms for 100,000 events, only for a command that asks) — a map would
/// cost more memory per event and more of the download.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdIndex {
    /// The version before the first digest's.
    base: Version,
    digests: Vec<u64>,
}

/// FNV-1a, 64 bits: a few instructions, and stable across builds.
fn digest(id: &EventId) -> u64 {
    id.as_str().bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

impl IdIndex {
    /// Takes the stream's next event (the caller has admitted it).
    pub fn admit(&mut self, envelope: &Envelope) {
        if self.digests.is_empty() {
            self.base = Version::new(envelope.version.get().saturating_sub(1));
        }
        self.digests.push(digest(&envelope.event_id));
    }

    /// The versions that may hold `id`, oldest first: read each and compare
    /// ids (an id is unique in a stream, so at most one matches).
    pub fn candidates(&self, id: &EventId) -> Vec<Version> {
        let digest = digest(id);
        let base = self.base.get();
        (1..).zip(&self.digests).filter(|(_, d)| **d == digest).map(|(n, _)| Version::new(base + n)).collect()
    }

    /// `self` (the events up to some version) followed by `later` (the
    /// events after it).
    pub fn join(&mut self, later: IdIndex) {
        if self.digests.is_empty() {
            *self = later;
        } else {
            self.digests.extend(later.digests);
        }
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
        let at = |book: &DayBook, day| book.balance_at_end_of(Date::of_unix_millis(day * DAY)).cents;
        assert_eq!([at(&book, 9), at(&book, 10), at(&book, 11), at(&book, 12), at(&book, 400)], [0, 150, 30, 0, 0]);
        assert_eq!(
            book.head(Version::new(4)),
            Some(StreamHead { version: Version::new(4), opening: EventId::parse("open").unwrap() })
        );

        // Another late event, on a day already booked: added to that day.
        let cents = |c| Money::from_cents(c).unwrap();
        book.admit(&envelope(5, "later", 10, Event::deposited(cents(7))));
        assert_eq!([at(&book, 9), at(&book, 10), at(&book, 11), at(&book, 12)], [0, 157, 37, 7]);
        assert_eq!(book.nets.len(), 3, "one entry per day");

        let mut book = DayBook::default();
        stream().iter().for_each(|e| book.admit(e));
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
        // A digest two ids share: both versions are candidates.
        index.digests[3] = digest(&EventId::parse("d").unwrap());
        assert_eq!(index.candidates(&EventId::parse("d").unwrap()), vec![Version::new(2), Version::new(4)]);

        let (mut first, mut second) = (IdIndex::default(), IdIndex::default());
        let events = stream();
        events[..1].iter().for_each(|e| first.admit(e));
        events[1..].iter().for_each(|e| second.admit(e));
        first.join(second);
        assert_eq!(first.candidates(&EventId::parse("late").unwrap()), vec![Version::new(4)]);
    }
}
