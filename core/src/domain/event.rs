//! Events: what happened. Immutable facts; state is their fold.

use serde::{Deserialize, Serialize};

use super::{BookedBalance, Command, Money, Owner};

/// Something that happened to one account, as the original's JSON:
/// `{"type":"MoneyDeposited","amount":500.0}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Event {
    AccountOpened { owner: Owner, initial_balance: Money },
    MoneyDeposited { amount: Money },
    MoneyWithdrawn { amount: Money },
}

impl Event {
    /// An opening with only its required fields.
    pub fn opened(owner: Owner, initial_balance: Money) -> Event {
        Event::AccountOpened { owner, initial_balance }
    }

    /// A deposit with only its amount (no optional field).
    pub fn deposited(amount: Money) -> Event {
        Event::MoneyDeposited { amount }
    }

    /// A withdrawal with only its amount (no optional field).
    pub fn withdrawn(amount: Money) -> Event {
        Event::MoneyWithdrawn { amount }
    }

    /// The command that produces exactly this event.
    pub fn command(&self) -> Command {
        match self {
            Event::AccountOpened { owner, initial_balance } => {
                Command::OpenAccount { owner: owner.clone(), initial_balance: *initial_balance }
            }
            Event::MoneyDeposited { amount } => Command::Deposit { amount: *amount },
            Event::MoneyWithdrawn { amount } => Command::Withdraw { amount: *amount },
        }
    }

    /// What this event adds to the account's balance (negative: takes away),
    /// for balances by booking date.
    pub fn change(&self) -> BookedBalance {
        let cents = match self {
            Event::AccountOpened { initial_balance, .. } => i128::from(initial_balance.cents()),
            Event::MoneyDeposited { amount } => i128::from(amount.cents()),
            Event::MoneyWithdrawn { amount } => -i128::from(amount.cents()),
        };
        BookedBalance { cents }
    }

    /// Whether this event opens its account.
    pub fn is_opening(&self) -> bool {
        match self {
            Event::AccountOpened { .. } => true,
            Event::MoneyDeposited { .. } | Event::MoneyWithdrawn { .. } => false,
        }
    }
}
