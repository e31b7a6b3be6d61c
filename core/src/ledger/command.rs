//! Deciding a command: against the cached account, appended with its
//! version as the expected one, retried when another writer got there first.

use super::cached::Cached;
use super::step::{step, Append, Done, Step};
use super::{Ledger, LedgerError, MAX_ATTEMPTS};
use crate::clock::{Clock, IdGenerator};
use crate::domain::{AccountId, AccountState, Command, DomainError, Facts, Version};
use crate::store::{CommandId, EventId, EventStore, NewEvent, StoreError};

/// A command for one account, as it travels from whoever asks to the
/// ledger: `POST /accounts/{id}` with its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRequest {
    pub account: AccountId,
    pub command: Command,
    /// The caller's name for this command (a double click, a retry): a
    /// command id already accepted for the account is not done again.
    pub command_id: Option<CommandId>,
}

impl CommandRequest {
    pub fn new(account: AccountId, command: Command) -> CommandRequest {
        CommandRequest { account, command, command_id: None }
    }

    pub fn with_command_id(self, command_id: Option<CommandId>) -> CommandRequest {
        CommandRequest { command_id, ..self }
    }
}

impl<S: EventStore, C: Clock, G: IdGenerator> Ledger<S, C, G> {
    /// Runs a command: `POST /accounts/{id}`. Answers the account's new
    /// state. A command whose `command_id` was already accepted for this
    /// account is not done again: the answer is the state it produced then,
    /// and nothing new is stored. The same id with a different command is
    /// refused.
    pub fn execute(&mut self, request: &CommandRequest) -> Result<AccountState, LedgerError> {
        let CommandRequest { account: id, command, command_id } = request;
        let fresh = !self.cache.contains_key(id);
        let mut cached = self.checkout(id)?;
        let result = self.execute_on(&mut cached, fresh, command, command_id.as_ref());
        if result.is_ok() {
            if let Some((known, _)) = &mut self.known {
                known.insert(id.clone());
            }
        }
        self.keep(cached);
        result
    }

    /// Decides against the cached account and appends with its version as
    /// the expected one, through the one command step (step.rs). The cache
    /// is not read again first: if another writer moved the stream, the
    /// append is a conflict, and then (or when the rules refuse, in case
    /// news would change that) the account catches up and the command is
    /// decided again. So a command reads its stream once (the append's
    /// check), not twice. A just-loaded account (`fresh`) catches up first.
    fn execute_on(
        &mut self,
        cached: &mut Cached,
        fresh: bool,
        command: &Command,
        command_id: Option<&CommandId>,
    ) -> Result<AccountState, LedgerError> {
        let mut attempt = 1;
        let mut caught_up = false;
        loop {
            if fresh && !caught_up {
                self.catch_up(cached)?;
                caught_up = true;
            }
            // A command is decided on events, never on a snapshot alone (and
            // a command id is looked up in the whole stream).
            self.vouch(cached)?;
            let done = match command_id {
                Some(command_id) => self.done(cached, command_id)?,
                None => None,
            };
            let questions = cached.account.questions(command);
            let facts = if questions.is_empty() { Facts::NONE } else { self.facts_beside(Some(cached), &questions)? };
            let append = match step(&cached.account, command, done, &facts) {
                Ok(Step::Done(state)) => return Ok(state),
                Ok(Step::Append(append)) => append,
                Err(refusal) if refusal.may_be_stale() && !caught_up => {
                    self.catch_up(cached)?;
                    caught_up = true;
                    continue;
                }
                Err(refusal) => return Err(refusal.into()),
            };
            let ids: Vec<EventId> = append.events.iter().map(|_| self.ids.next_id()).collect();
            let stored_under = ids.first().and_then(|first| append.command_id(command_id, first));
            let Append { stream, expected, events } = append;
            let new_events = events
                .into_iter()
                .zip(ids)
                .map(|(event, event_id)| NewEvent {
                    event_id,
                    recorded_at: self.clock.now(),
                    command_id: stored_under.clone(),
                    event,
                })
                .collect();
            match self.store.append(&stream, expected, new_events) {
                Ok(stored) => {
                    for envelope in &stored {
                        cached.apply(envelope);
                    }
                    // Every accepted command leaves the account opened.
                    let account = &cached.account;
                    return account.state().ok_or_else(|| DomainError::AccountNotFound { id: account.id().clone() }.into());
                }
                Err(StoreError::Conflict { .. }) if attempt < MAX_ATTEMPTS => {
                    attempt += 1;
                    self.catch_up(cached)?;
                    caught_up = true;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// What `command_id` did on the cached account, if its stream holds it:
    /// the command its event stands for and the state that event left (the
    /// cache keeps each command id's last version; one event is read).
    fn done(&self, cached: &Cached, command_id: &CommandId) -> Result<Option<Done>, LedgerError> {
        let Some(version) = cached.commands.get(command_id).copied() else { return Ok(None) };
        let before = Version::new(version.get().saturating_sub(1));
        let stored = self.store.read_page(cached.account.id(), before, 1)?;
        let Some(envelope) = stored.into_iter().next() else {
            let reason = format!("command id {command_id} names version {version}, which is not stored");
            return Err(StoreError::Corrupt { key: cached.account.id().to_string(), reason }.into());
        };
        Ok(Some(Done { id: command_id.clone(), command: envelope.event.command(), state: cached.state_at(version) }))
    }
}
