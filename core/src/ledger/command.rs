//! Deciding a command: against the cached account, appended with its
//! version as the expected one, retried when another writer got there first.

use super::cached::Cached;
use super::{Ledger, LedgerError, MAX_ATTEMPTS};
use crate::clock::{Clock, IdGenerator};
use crate::domain::{AccountId, AccountState, Command, DomainError, ExpectedVersion, Version};
use crate::store::{CommandId, EventStore, NewEvent, StoreError};

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
    /// the expected one. The cache is not read again first: if another writer
    /// moved the stream, the append is a conflict, and then (or when the
    /// rules refuse, in case news would change that) the account catches up
    /// and the command is decided again. So a command reads its stream once
    /// (the append's check), not twice. A just-loaded account (`fresh`)
    /// catches up first.
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
            if let Some(done) = command_id.and_then(|c| cached.commands.get(c).map(|v| (c, *v))) {
                return self.answer_again(cached, command, done);
            }
            let account = &cached.account;
            let events = match account.decide(command) {
                Ok(events) => events,
                Err(rejected) if caught_up => return Err(rejected.into()),
                Err(_) => {
                    self.catch_up(cached)?;
                    caught_up = true;
                    continue;
                }
            };
            let account = &cached.account;
            let new_events = events
                .into_iter()
                .map(|event| NewEvent {
                    event_id: self.ids.next_id(),
                    recorded_at: self.clock.now(),
                    command_id: command_id.cloned(),
                    event,
                })
                .collect();
            match self.store.append(account.id(), ExpectedVersion(account.version()), new_events) {
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

    /// The answer to a command sent again: the state its event left, if the
    /// stored event is indeed what this command produces.
    fn answer_again(
        &self,
        cached: &Cached,
        command: &Command,
        (command_id, version): (&CommandId, Version),
    ) -> Result<AccountState, LedgerError> {
        let id = cached.account.id();
        let reused = || LedgerError::CommandIdReused { id: id.clone(), command_id: command_id.clone() };
        let before = Version::new(version.get().saturating_sub(1));
        let stored = self.store.read_page(id, before, 1)?;
        match stored.first() {
            Some(envelope) if envelope.event.command() == *command => cached.state_at(version).ok_or_else(reused),
            _ => Err(reused()),
        }
    }
}
