//! Read models: folds of events into what the screens and the JS API show.

use super::{AccountId, AccountState, BankAccount, Event, Money, Version};

/// The state after the first `version` events of a stream (time travel).
/// `None` when the account did not exist yet (version 0), or when `version`
/// is past the end of `events`.
pub fn state_at(id: &AccountId, events: &[Event], version: Version) -> Option<AccountState> {
    let count = usize::try_from(version.get()).ok()?;
    let prefix = events.get(..count)?;
    BankAccount::replay(id.clone(), prefix).state()
}

/// The balance after each event: `(version, balance)` pairs, oldest first.
/// The history table and the balance chart are drawn from it.
pub fn balance_timeline(id: &AccountId, events: &[Event]) -> Vec<(Version, Money)> {
    let mut account = BankAccount::new(id.clone());
    events
        .iter()
        .map(|event| {
            account.apply(event);
            (account.version(), account.balance())
        })
        .collect()
}

/// Every account's state, sorted by id, and their total (the CQRS read model).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountsOverview {
    pub accounts: Vec<AccountState>,
}

impl AccountsOverview {
    pub fn new(mut accounts: Vec<AccountState>) -> AccountsOverview {
        accounts.sort_by(|a, b| a.id.cmp(&b.id));
        AccountsOverview { accounts }
    }

    /// The sum of all balances in cents. A `u128`: many accounts at the
    /// maximum balance would overflow a single [`Money`].
    pub fn total_cents(&self) -> u128 {
        self.accounts.iter().map(|a| u128::from(a.balance.cents())).sum()
    }
}
