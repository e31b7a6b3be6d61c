//! Commands: what a user asks for. They may be rejected.

use serde::{Deserialize, Serialize};

use super::{Money, Owner};

/// A request to change one account, as the original's JSON:
/// `{"type":"Deposit","amount":500.0}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Command {
    OpenAccount { owner: Owner, initial_balance: Money },
    Deposit { amount: Money },
    Withdraw { amount: Money },
}

impl Command {
    /// An opening with only its required fields.
    pub fn open(owner: Owner, initial_balance: Money) -> Command {
        Command::OpenAccount { owner, initial_balance }
    }

    /// A deposit with only its amount (no optional field): outside the
    /// domain, so a new optional field of a deposit leaves its callers as
    /// they are.
    pub fn deposit(amount: Money) -> Command {
        Command::Deposit { amount }
    }

    /// A withdrawal with only its amount (no optional field).
    pub fn withdraw(amount: Money) -> Command {
        Command::Withdraw { amount }
    }
}
