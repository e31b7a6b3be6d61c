//! The pure core of the ledger: the domain, the event store contract with its
//! memory and key-value implementations, the storage codec, and the
//! application service. Plain Rust: no browser API, no clock, no randomness.
//!
//! The modules are private; this list is the API.
#![forbid(unsafe_code)]

mod clock;
mod coded;
mod device;
mod domain;
mod encoding;
mod export;
mod ledger;
mod original;
mod request;
mod store;
mod sync;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod text;

// The model: an account decides commands and folds events.
pub use domain::projection::{balance_timeline, state_at, AccountsOverview};
pub use domain::{
    AccountId, AccountIdError, AccountState, Answer, BankAccount, BookedBalance, Command, Date, DomainError, Event,
    ExpectedVersion, Facts, FieldType, Kind, KindField, Money, MoneyError, Owner, OwnerError, Parts, Question, Read, Schema,
    Separators, StoredEvent, StreamHead, Value, Values, Version, KINDS, SCHEMA, SCHEMAS,
};

// The event store: the contract every store honours, the envelope an event
// is stored in, and the stores.
pub use store::{
    derived_event_id, units, ChainHash, CommandId, Damage, DayBook, Envelope, EventId, EventIdError, EventStore, IdIndex,
    KeyKind, KeyValue, Keys, KvError, KvStore, MemoryKv, MemoryStore, Migration, NewEvent, OutsideWrite, Sequence, Snapshot,
    Stale, StoreError, StreamList, Timestamp, Tip, Usage, SCHEMA_VERSION,
};

// The service the edges call, and what it answers.
pub use clock::{Clock, IdGenerator};
pub use ledger::{
    step, Append, CommandRequest, Done, ImportReport, Ledger, LedgerError, Overview, Refusal, Step, StorageStatus, Verification,
    MAX_ATTEMPTS, SNAPSHOT_EVERY,
};

// Errors as variant and fields, and the small encodings every text form
// shares: for forms outside the core (the browser's tab messages).
pub use coded::{Coded, Field, FieldReader, FieldWriter};
pub use encoding::{checksum, escape_line, parse_decimal, unescape_line};
pub use text::preview;

// Sync between devices and a server: the messages and the rules of a push.
pub use sync::{
    fit_page, fit_push, plan_push, Behind, Head, Heads, Pulled, Push, PushError, PushPlan, Pushed, ServerEvent, MAX_BODY,
    MAX_PULL, MAX_PUSH, PAGE_BYTES, PUSH_BYTES, SCHEMA_HEADER,
};

// The device's side of sync: pending events apart from confirmed ones, and
// deciding them again when the server's history moves.
pub use device::{
    confirmed_tip, held, listen, rebase, round, Adopted, Counts, Device, DeviceLedger, Divergence, Held, Link, PendingLog, Place,
    Progress, PushAnswer, Rebased, Rejection, RoundError, SyncClient, SyncError, SyncedStore, Transport, TransportError,
    LINK_FORMAT, LOG_FORMAT, OPENED_ELSEWHERE, PUSH_EVENTS,
};

// The original server's JSON API (the server speaks it): commands in,
// state and events out.
pub use original::{read_command_request, read_event, write_event, write_events, write_state};

// The one command parser: every edge reads a command's fields into inputs
// and hands them to it.
pub use request::{not_an_object, read_account_id, read_command, Input, Number, RequestError};

// Files: the export, the statement, and the original server's event list.
pub use export::{
    read_export, read_server_events, statement_csv, utc, write_export, Export, ImportError, EXPORT_FORMAT, EXPORT_VERSION,
};
