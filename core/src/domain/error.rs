//! Why the aggregate rejects a command.

use super::{AccountId, Money};

crate::coded::coded_error! {
    /// A command broke one of the account's rules. Nothing was stored.
    pub enum DomainError {
        #[error("amount must be more than 0")]
        ZeroAmount => "InvalidAmount",
        #[error("account {id} was not found")]
        AccountNotFound { id: AccountId } => "AccountNotFound",
        #[error("account {id} already exists")]
        AccountAlreadyExists { id: AccountId } => "AccountAlreadyExists",
        #[error("Insufficient funds: the balance is {balance}, the withdrawal {requested}")]
        InsufficientFunds { balance: Money, requested: Money } => "InsufficientFunds",
        #[error("depositing {amount} would take the balance of {balance} over the maximum of {max}", max = Money::MAX_BALANCE)]
        BalanceLimitExceeded { balance: Money, amount: Money } => "InvalidAmount",
    }
}
