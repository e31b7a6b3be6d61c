//! One account as the ledger keeps it in memory, and its snapshot payload.

use std::collections::HashMap;

use crate::domain::{AccountId, AccountState, BankAccount, Money, Owner, Version};
use crate::encoding::parse_decimal;
use crate::store::{ChainHash, CommandId, DayBook, Envelope, IdIndex, Snapshot, Tip};

/// How many events before a snapshot its command ids are kept in it: a
/// command sent again soon after is still recognised without a full load.
const RECENT_COMMANDS: u64 = 64;

/// An account as the ledger caches it: its state, and its balance after each
/// event since `base` (for time travel, the history table and the chart, all
/// O(1) or O(page) once loaded).
#[derive(Clone, Debug)]
pub(super) struct Cached {
    pub(super) account: BankAccount,
    /// The version the timeline starts after: 0 when loaded from the first
    /// event, a snapshot's version when loaded from one.
    pub(super) base: Version,
    base_balance: Money,
    /// The balance after versions `base + 1 ..= account.version()`.
    balances: Vec<Money>,
    /// The version each named command's event got: a command sent again
    /// with its id is answered from here instead of done twice. Complete
    /// when `base` is 0; since `base - RECENT_COMMANDS` otherwise.
    pub(super) commands: HashMap<CommandId, Version>,
    /// The chain hash of the last event applied.
    pub(super) head: ChainHash,
    /// The version of the latest snapshot stored (or loaded).
    pub(super) snapshot_at: Version,
    /// The snapshot this was loaded from, until the events behind it have
    /// been read: they must make exactly this.
    pub(super) loaded_from: Option<Snapshot>,
    /// The indexes the facts of a decision are answered from (facts.rs),
    /// over the events since `base` — the whole stream once vouched for,
    /// which a decision always is.
    pub(super) book: DayBook,
    pub(super) ids: IdIndex,
}

/// A snapshot's payload, schema 1: a line each for the schema, the balance
/// in cents and the owner, then `{command id} {version}` for each recent
/// command id.
const PAYLOAD_SCHEMA: &str = "1";

fn decode_payload(text: &str) -> Option<(Money, Owner, HashMap<CommandId, Version>)> {
    let mut lines = text.split('\n');
    if lines.next()? != PAYLOAD_SCHEMA {
        return None;
    }
    let balance = Money::from_cents(parse_decimal(lines.next()?)?)?;
    let owner = Owner::from_stored(lines.next()?).ok()?;
    let mut commands = HashMap::new();
    for line in lines {
        let (command, version) = line.split_once(' ')?;
        commands.insert(CommandId::parse(command).ok()?, Version::new(parse_decimal(version)?));
    }
    Some((balance, owner, commands))
}

impl Cached {
    pub(super) fn new(id: &AccountId) -> Cached {
        Cached {
            account: BankAccount::new(id.clone()),
            base: Version::EMPTY,
            base_balance: Money::ZERO,
            balances: Vec::new(),
            commands: HashMap::new(),
            head: ChainHash::GENESIS,
            snapshot_at: Version::EMPTY,
            loaded_from: None,
            book: DayBook::default(),
            ids: IdIndex::default(),
        }
    }

    /// The account as `snapshot` saw it, or `None` when its payload is not
    /// one this version reads (then the account is loaded from its events).
    pub(super) fn from_snapshot(id: &AccountId, snapshot: &Snapshot) -> Option<Cached> {
        let (balance, owner, commands) = decode_payload(&snapshot.payload)?;
        if snapshot.version == Version::EMPTY || commands.values().any(|v| *v > snapshot.version) {
            return None;
        }
        let state = AccountState { id: id.clone(), owner, balance, version: snapshot.version };
        Some(Cached {
            account: BankAccount::restore(state),
            base: snapshot.version,
            base_balance: balance,
            balances: Vec::new(),
            commands,
            head: snapshot.head,
            snapshot_at: snapshot.version,
            loaded_from: Some(snapshot.clone()),
            book: DayBook::default(),
            ids: IdIndex::default(),
        })
    }

    /// A snapshot of this account now; `None` before it is opened.
    pub(super) fn snapshot(&self) -> Option<Snapshot> {
        self.snapshot_at_version(self.account.version(), self.head)
    }

    /// A snapshot of this account as of `version` (whose event's hash is
    /// `head`), from the cached timeline; `None` before it was opened or
    /// outside the timeline.
    pub(super) fn snapshot_at_version(&self, version: Version, head: ChainHash) -> Option<Snapshot> {
        let state = self.state_at(version)?;
        let since = version.get().saturating_sub(RECENT_COMMANDS);
        let mut commands: Vec<(&CommandId, u64)> =
            self.commands.iter().filter(|(_, v)| v.get() > since && **v <= version).map(|(c, v)| (c, v.get())).collect();
        commands.sort_by_key(|(_, v)| *v);
        let mut payload = format!("{PAYLOAD_SCHEMA}\n{}\n{}", state.balance.cents(), state.owner);
        for (command, version) in commands {
            payload.push_str(&format!("\n{command} {version}"));
        }
        Some(Snapshot { version, head, payload })
    }

    /// Where a reader of the stream stands after this account's events.
    pub(super) fn tip(&self) -> Tip {
        Tip { account: self.account.clone(), hash: self.head }
    }

    /// Whether the timeline and command ids reach back to the first event.
    pub(super) fn is_complete(&self) -> bool {
        self.base == Version::EMPTY
    }

    /// Applies the stream's next event (already admitted by the store).
    pub(super) fn apply(&mut self, envelope: &Envelope) {
        self.head = envelope.hash;
        self.account.apply(&envelope.event);
        self.balances.push(self.account.balance());
        if let Some(command_id) = &envelope.command_id {
            self.commands.insert(command_id.clone(), self.account.version());
        }
        self.book.admit(envelope);
        self.ids.admit(envelope);
    }

    /// `self` (loaded from the first event up to `later.base`) followed by
    /// `later` (loaded from a snapshot): the whole account, if the two meet.
    pub(super) fn join(mut self, later: Cached) -> Option<Cached> {
        let meets = self.account.version() == later.base
            && self.account.balance() == later.base_balance
            && self.account.owner() == later.account.owner();
        if !meets {
            return None;
        }
        self.balances.extend(later.balances);
        self.commands.extend(later.commands);
        self.book.join(later.book);
        self.ids.join(later.ids);
        Some(Cached { account: later.account, head: later.head, snapshot_at: later.snapshot_at, loaded_from: None, ..self })
    }

    /// The balance after each event, oldest first, from `base + 1`.
    pub(super) fn balances(&self) -> &[Money] {
        &self.balances
    }

    /// The state right after version `version`, from the cached timeline;
    /// `None` before the account was opened or before `base`.
    pub(super) fn state_at(&self, version: Version) -> Option<AccountState> {
        let balance = if version == self.base && version > Version::EMPTY {
            self.base_balance
        } else {
            let index = usize::try_from(version.get().checked_sub(self.base.get())?).ok()?.checked_sub(1)?;
            *self.balances.get(index)?
        };
        Some(AccountState { balance, version, ..self.account.state()? })
    }
}
