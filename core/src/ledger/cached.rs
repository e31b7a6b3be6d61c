//! One account as the ledger keeps it in memory.

use std::collections::HashMap;

use crate::domain::{AccountId, AccountState, BankAccount, Money, Version};
use crate::store::{ChainHash, CommandId, Envelope};

/// An account as the ledger caches it: its state, and its balance after each
/// event (for time travel, the history table and the chart, all O(1) or
/// O(page) once loaded).
#[derive(Clone, Debug)]
pub(super) struct Cached {
    pub(super) account: BankAccount,
    pub(super) balances: Vec<Money>,
    /// The version each named command's event got: a command sent again
    /// with its id is answered from here instead of done twice.
    pub(super) commands: HashMap<CommandId, Version>,
    /// The chain hash of the last event applied.
    pub(super) head: ChainHash,
}

impl Cached {
    pub(super) fn new(id: &AccountId) -> Cached {
        Cached {
            account: BankAccount::new(id.clone()),
            balances: Vec::new(),
            commands: HashMap::new(),
            head: ChainHash::GENESIS,
        }
    }

    pub(super) fn apply(&mut self, envelope: &Envelope) {
        self.head = envelope.hash;
        self.account.apply(&envelope.event);
        self.balances.push(self.account.balance());
        if let Some(command_id) = &envelope.command_id {
            self.commands.insert(command_id.clone(), envelope.version);
        }
    }

    /// The state right after version `version`, from the cached timeline.
    pub(super) fn state_at(&self, version: Version) -> Option<AccountState> {
        let index = usize::try_from(version.get()).ok()?.checked_sub(1)?;
        let balance = *self.balances.get(index)?;
        Some(AccountState { balance, version, ..self.account.state()? })
    }
}
