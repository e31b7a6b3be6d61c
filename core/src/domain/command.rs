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
