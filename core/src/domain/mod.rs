//! The domain: plain Rust, no I/O, no clock, no randomness.

mod account;
mod account_id;
mod command;
mod date;
mod error;
mod event;
mod event_id;
mod facts;
mod kind;
mod money;
mod owner;
pub mod projection;
mod schema;
mod typed_amount;
mod version;

pub use account::{AccountState, BankAccount};
pub use account_id::{AccountId, AccountIdError};
pub use command::Command;
pub use date::Date;
pub use error::DomainError;
pub use event::Event;
pub use event_id::{EventId, EventIdError};
pub use facts::{Answer, BookedBalance, Facts, Question, StoredEvent, StreamHead};
pub use kind::{FieldType, Kind, KindField, Parts, Read, Value, Values, KINDS};
pub use money::{Money, MoneyError};
pub use owner::{Owner, OwnerError};
pub use schema::{Schema, SCHEMA, SCHEMAS};
pub use typed_amount::Separators;
pub use version::{ExpectedVersion, Version};
