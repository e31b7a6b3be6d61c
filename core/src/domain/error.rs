//! Why the aggregate rejects a command.

use super::{AccountId, Money};

/// A command broke one of the account's rules. Nothing was stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("amount must be more than 0")]
    ZeroAmount,
    #[error("account {id} was not found")]
    AccountNotFound { id: AccountId },
    #[error("account {id} already exists")]
    AccountAlreadyExists { id: AccountId },
    #[error("Insufficient funds: the balance is {balance}, the withdrawal {requested}")]
    InsufficientFunds { balance: Money, requested: Money },
    #[error("depositing {amount} would take the balance of {balance} over the maximum of {max}", max = Money::MAX_BALANCE)]
    BalanceLimitExceeded { balance: Money, amount: Money },
}
