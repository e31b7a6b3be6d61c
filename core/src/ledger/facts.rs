//! Answering a decision's questions about history (domain/facts.rs) from
//! the cached accounts' indexes: a day book and an id index each, kept as
//! events are applied (store/index.rs). An account answers only once it is
//! caught up and vouched for back to its first event — as every account a
//! command is decided on already is — so no question reads a stream from
//! its start beyond that one load; an event asked for by id is one read.

use super::cached::Cached;
use super::{Ledger, LedgerError};
use crate::clock::{Clock, IdGenerator};
use crate::domain::{Answer, Facts, Question, StoredEvent, Version};
use crate::store::EventStore;

impl<S: EventStore, C: Clock, G: IdGenerator> Ledger<S, C, G> {
    /// The answers to `questions`, about any streams.
    pub fn facts(&mut self, questions: &[Question]) -> Result<Facts, LedgerError> {
        self.facts_beside(None, questions)
    }

    /// The answers to `questions`, those about `own`'s stream from `own`
    /// (checked out of the cache by a command loop, vouched for).
    pub(super) fn facts_beside(&mut self, own: Option<&Cached>, questions: &[Question]) -> Result<Facts, LedgerError> {
        let mut facts = Facts::new();
        for question in questions {
            let answer = match own.filter(|own| own.account.id() == question.stream()) {
                Some(own) => self.answer(own, question)?,
                None => {
                    let mut cached = self.checkout(question.stream())?;
                    let answer = self
                        .catch_up(&mut cached)
                        .and_then(|()| self.vouch(&mut cached))
                        .and_then(|()| self.answer(&cached, question));
                    self.keep(cached);
                    answer?
                }
            };
            facts = facts.answered(question.clone(), answer);
        }
        Ok(facts)
    }

    /// `question` answered from `cached`, whose stream it is about.
    fn answer(&self, cached: &Cached, question: &Question) -> Result<Answer, LedgerError> {
        Ok(match question {
            Question::Event { stream, id } => {
                let mut found = None;
                for version in cached.ids.candidates(id) {
                    let before = Version::new(version.get().saturating_sub(1));
                    let stored = self.store.read_page(stream, before, 1)?.into_iter().next();
                    if let Some(envelope) = stored.filter(|envelope| envelope.event_id == *id) {
                        found = Some(StoredEvent { version, booked: envelope.booked(), event: envelope.event });
                        break;
                    }
                }
                Answer::Event(found)
            }
            Question::BalanceAtEndOf { date, .. } => Answer::BalanceAtEndOf(cached.book.balance_at_end_of(*date)),
            Question::Head { .. } => Answer::Head(cached.book.head(cached.account.version())),
        })
    }
}
