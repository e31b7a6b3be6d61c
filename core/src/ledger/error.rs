//! Why the ledger did not do what was asked.

use crate::domain::{AccountId, DomainError, Version};
use crate::store::{CommandId, StoreError};

crate::coded::coded_error! {
    /// Why the ledger did not do what was asked. The tab that writes tells
    /// another tab why its command was refused through [`crate::coded::Coded`]
    /// (the browser's tab messages).
    pub enum LedgerError {
        // Shown as the wrapped error (thiserror's `transparent` does not
        // survive being passed through a macro_rules macro).
        #[error("{0}")]
        Domain(#[from] DomainError),
        #[error("{0}")]
        Store(#[from] StoreError),
        #[error("version {requested} is outside 0..={current} for account {id}")]
        InvalidVersion { id: AccountId, requested: u64, current: Version } => "InvalidVersion",
        #[error("command id {command_id} was already used for another command on account {id}")]
        CommandIdReused { id: AccountId, command_id: CommandId } => "InvalidCommand",
        #[error("this file can't be imported: line {line}: {reason}")]
        InvalidImport { line: usize, reason: String } => "InvalidImport",
        /// The tab that writes the ledger did not answer in time: the command
        /// may have been stored or not. Sending it again with the same command
        /// id is safe: it is done at most once.
        #[error(
            "no answer from the tab that writes the ledger: command {command_id} on account {id} may or may not have been done; send it again with the same command id (it is done at most once)"
        )]
        OutcomeUnknown { id: AccountId, command_id: CommandId } => "OutcomeUnknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes are the JS API's `error.code`: programs match on them.
    #[test]
    fn every_error_keeps_its_code() {
        let id = AccountId::parse("a").unwrap();
        let command_id = CommandId::parse("c").unwrap();
        let cents = crate::domain::Money::MAX_AMOUNT;
        let codes = [
            (LedgerError::from(DomainError::ZeroAmount), "InvalidAmount"),
            (DomainError::BalanceLimitExceeded { balance: cents, amount: cents }.into(), "InvalidAmount"),
            (DomainError::AccountNotFound { id: id.clone() }.into(), "AccountNotFound"),
            (DomainError::AccountAlreadyExists { id: id.clone() }.into(), "AccountAlreadyExists"),
            (DomainError::InsufficientFunds { balance: cents, requested: cents }.into(), "InsufficientFunds"),
            (StoreError::Conflict { stream: id.clone(), expected: Version::new(1), actual: Version::new(2) }.into(), "Conflict"),
            (StoreError::Corrupt { key: "k".into(), reason: "r".into() }.into(), "StorageCorrupt"),
            (StoreError::Full.into(), "StorageFull"),
            (StoreError::Unavailable { reason: "r".into() }.into(), "StorageUnavailable"),
            (LedgerError::InvalidVersion { id: id.clone(), requested: 9, current: Version::new(1) }, "InvalidVersion"),
            (LedgerError::CommandIdReused { id: id.clone(), command_id: command_id.clone() }, "InvalidCommand"),
            (LedgerError::InvalidImport { line: 1, reason: "r".into() }, "InvalidImport"),
            (LedgerError::OutcomeUnknown { id, command_id }, "OutcomeUnknown"),
        ];
        for (error, code) in codes {
            assert_eq!(error.code(), code, "{error:?}");
        }
        assert_eq!(LedgerError::from(StoreError::Full).to_string(), StoreError::Full.to_string());
    }
}
