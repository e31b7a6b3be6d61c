//! Why the ledger did not do what was asked.

use crate::domain::{AccountId, DomainError, Version};
use crate::store::{CommandId, StoreError};

/// Why the ledger did not do what was asked. The tab that writes tells
/// another tab why its command was refused in `wire.rs`'s text form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("version {requested} is outside 0..={current} for account {id}")]
    InvalidVersion { id: AccountId, requested: u64, current: Version },
    #[error("command id {command_id} was already used for another command on account {id}")]
    CommandIdReused { id: AccountId, command_id: CommandId },
    #[error("this file can't be imported: line {line}: {reason}")]
    InvalidImport { line: usize, reason: String },
    /// The tab that writes the ledger did not answer in time: the command
    /// may have been stored or not. Sending it again with the same command
    /// id is safe: it is done at most once.
    #[error(
        "no answer from the tab that writes the ledger: command {command_id} on account {id} may or may not have been done; send it again with the same command id (it is done at most once)"
    )]
    OutcomeUnknown { id: AccountId, command_id: CommandId },
}

impl LedgerError {
    /// The stable name of the error, for programs: the JS API's `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::Domain(error) => match error {
                DomainError::ZeroAmount | DomainError::BalanceLimitExceeded { .. } => "InvalidAmount",
                DomainError::AccountNotFound { .. } => "AccountNotFound",
                DomainError::AccountAlreadyExists { .. } => "AccountAlreadyExists",
                DomainError::InsufficientFunds { .. } => "InsufficientFunds",
            },
            LedgerError::Store(error) => match error {
                StoreError::Conflict { .. } => "Conflict",
                StoreError::Corrupt { .. } => "StorageCorrupt",
                StoreError::Full => "StorageFull",
                StoreError::Unavailable { .. } => "StorageUnavailable",
            },
            LedgerError::InvalidVersion { .. } => "InvalidVersion",
            LedgerError::CommandIdReused { .. } => "InvalidCommand",
            LedgerError::InvalidImport { .. } => "InvalidImport",
            LedgerError::OutcomeUnknown { .. } => "OutcomeUnknown",
        }
    }
}
