//! The sync client's decisions, free of I/O (docs/sync-client.md): what to
//! push next, and what to make of each answer and pull. The browser's sync
//! loop moves the messages and calls these; native tests call them with
//! answers made by a real `plan_push` on a stream.

use std::collections::{BTreeMap, HashMap};

use super::link::Place;
use super::rebase::Rejection;
use super::store::SyncedStore;
use crate::domain::{AccountId, BankAccount, Version};
use crate::ledger::{Ledger, LedgerError};
use crate::store::{ChainHash, Envelope, EventStore, KeyValue, StoreError, Tip};
use crate::sync::{Heads, Pulled};
use crate::{Clock, IdGenerator};

mod heads;
mod push;

pub use heads::Divergence;
pub use push::PUSH_EVENTS;

/// A ledger over a device's store.
pub type DeviceLedger<K, C, G> = Ledger<SyncedStore<K>, C, G>;

crate::coded::coded_error! {
    /// Why sync could not take what the server sent.
    pub enum SyncError {
        #[error("{0}")]
        Ledger(#[from] LedgerError),
        #[error("the server is not the one this device synced with (it was {expected}, it is {found}): it was reset or replaced")]
        ServerChanged { expected: String, found: String } => "ServerChanged",
    }
}

impl From<StoreError> for SyncError {
    fn from(error: StoreError) -> SyncError {
        SyncError::Ledger(error.into())
    }
}

/// What one step of sync changed, for the page and the counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Server events added to confirmed streams.
    pub adopted: usize,
    /// This device's pending events the server confirmed.
    pub confirmed: usize,
    /// Pending commands decided again on a moved head.
    pub redecided: usize,
    pub rejected: Vec<(AccountId, Rejection)>,
    /// Accounts whose events did not continue the stream here: read them
    /// from the version given (`GET /sync/accounts/{id}?after=`).
    pub gaps: Vec<(AccountId, Version)>,
    /// Accounts whose reads changed.
    pub changed: Vec<AccountId>,
    /// Events of this device's that wait for the server to take their
    /// schema (a round's count at its end, not a sum).
    pub held: usize,
}

impl Progress {
    pub(super) fn add(&mut self, other: Progress) {
        self.adopted += other.adopted;
        self.confirmed += other.confirmed;
        self.redecided += other.redecided;
        self.rejected.extend(other.rejected);
        self.gaps.extend(other.gaps);
        for id in other.changed {
            if !self.changed.contains(&id) {
                self.changed.push(id);
            }
        }
    }
}

/// How far long work has come: events taken from the server of those it
/// had for this device when the round began, and events sent of those
/// waiting to be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub downloaded: u64,
    pub to_download: u64,
    pub uploaded: u64,
    pub to_upload: u64,
    /// Since the client was made: pending commands decided again on a
    /// moved head, and commands the server's history refused.
    pub redecided: u64,
    pub rejected: u64,
}

/// A device's place in its server's history, and what it knows of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncClient {
    /// The server's id once one answered, and the position pulled up to:
    /// what is stored ([`SyncedStore::save_place`]).
    pub place: Place,
    /// How far each account's stream reaches on the server, where known.
    server_versions: HashMap<AccountId, Version>,
    differs: BTreeMap<AccountId, Divergence>,
    pub counts: Counts,
}

impl SyncClient {
    pub fn new(place: Place) -> SyncClient {
        SyncClient { place, ..SyncClient::default() }
    }

    /// The position pulled up to.
    pub fn position(&self) -> u64 {
        self.place.position
    }

    /// A round begins: the server's heads say how much there is to take.
    pub fn begin<K: KeyValue, C: Clock, G: IdGenerator>(
        &mut self,
        ledger: &mut DeviceLedger<K, C, G>,
        heads: &Heads,
    ) -> Result<(), SyncError> {
        self.check_server(&heads.server)?;
        ledger.store_mut().save_place(&self.place)?;
        let mut to_download = 0;
        for head in &heads.accounts {
            let (confirmed, _) = confirmed_tip(ledger, &head.account)?;
            to_download += head.version.get().saturating_sub(confirmed.get());
        }
        self.counts = Counts { to_download, downloaded: 0, uploaded: 0, to_upload: 0, ..self.counts };
        Ok(())
    }

    /// The pushes begin: how much there is to send.
    pub fn begin_upload<K: KeyValue, C: Clock, G: IdGenerator>(
        &mut self,
        ledger: &mut DeviceLedger<K, C, G>,
    ) -> Result<(), SyncError> {
        let (_, up) = self.outstanding(ledger)?;
        self.counts.to_upload = self.counts.uploaded + up;
        Ok(())
    }

    /// Every answer names its server: another one than before is not
    /// merged into silently.
    pub fn check_server(&mut self, server: &str) -> Result<(), SyncError> {
        match &self.place.server {
            Some(known) if known != server => Err(SyncError::ServerChanged { expected: known.clone(), found: server.to_owned() }),
            Some(_) => Ok(()),
            None => {
                self.place.server = Some(server.to_owned());
                Ok(())
            }
        }
    }

    /// A page of the server's events (`GET /sync/events`): each account's
    /// taken in turn, then the position moves on.
    pub fn receive<K: KeyValue, C: Clock, G: IdGenerator>(
        &mut self,
        ledger: &mut DeviceLedger<K, C, G>,
        pulled: &Pulled,
    ) -> Result<Progress, SyncError> {
        self.check_server(&pulled.server)?;
        let mut by_account: Vec<(AccountId, Vec<Envelope>)> = Vec::new();
        for event in &pulled.events {
            match by_account.iter_mut().find(|(id, _)| *id == event.account) {
                Some((_, events)) => events.push(event.envelope.clone()),
                None => by_account.push((event.account.clone(), vec![event.envelope.clone()])),
            }
        }
        let mut progress = Progress::default();
        for (account, events) in by_account {
            progress.add(self.take(ledger, &account, events)?);
        }
        if !progress.changed.is_empty() {
            ledger.rescan();
        }
        if pulled.next > self.place.position {
            self.place.position = pulled.next;
            ledger.store_mut().save_place(&self.place)?;
        }
        Ok(progress)
    }

    /// Events of the server's for one account, in version order: those the
    /// stream holds must be exactly the stream's; the rest must continue it
    /// and are adopted (pending commands decided again on top).
    pub fn take<K: KeyValue, C: Clock, G: IdGenerator>(
        &mut self,
        ledger: &mut DeviceLedger<K, C, G>,
        account: &AccountId,
        events: Vec<Envelope>,
    ) -> Result<Progress, SyncError> {
        let mut progress = Progress::default();
        if self.differs.contains_key(account) || events.is_empty() {
            return Ok(progress);
        }
        if let Some(last) = events.last() {
            let known = self.server_versions.entry(account.clone()).or_default();
            *known = (*known).max(last.version);
        }
        let (confirmed, tip) = confirmed_tip(ledger, account)?;
        let mut new = Vec::new();
        for event in events {
            if event.version > confirmed {
                new.push(event);
                continue;
            }
            let held = ledger.store().inner().read_page(account, Version::new(event.version.get() - 1), 1)?;
            if !held.first().is_some_and(|h| h.event_id == event.event_id && h.hash == event.hash) {
                let reason = format!("the server's event {} is not the one stored here", event.version);
                self.differ(account, event.version, reason);
                return Ok(progress);
            }
        }
        let Some(first) = new.first() else {
            return Ok(progress);
        };
        if first.version != confirmed.next() {
            progress.gaps.push((account.clone(), confirmed));
            return Ok(progress);
        }
        if new.first().is_some_and(|e| ChainHash::link(&tip.hash, account, e) != e.hash) {
            let reason = format!("the server's event {} does not follow the last one stored here", confirmed.next());
            self.differ(account, confirmed, reason);
            return Ok(progress);
        }
        let adopted = ledger.store_mut().adopt(account, &tip, new)?;
        ledger.forget_stream(account);
        progress.adopted = adopted.added;
        self.counts.downloaded += u64::try_from(adopted.added - adopted.confirmed.len()).unwrap_or(0);
        self.counts.uploaded += u64::try_from(adopted.confirmed.len()).unwrap_or(0);
        progress.confirmed = adopted.confirmed.len();
        progress.redecided = adopted.redecided;
        self.counts.redecided += u64::try_from(adopted.redecided).unwrap_or(0);
        self.counts.rejected += u64::try_from(adopted.rejected.len()).unwrap_or(0);
        progress.rejected = adopted.rejected.into_iter().map(|r| (account.clone(), r)).collect();
        progress.changed.push(account.clone());
        Ok(progress)
    }
}

/// The account's last confirmed version, and a tip at it (the account as
/// its confirmed events leave it, and their last hash).
pub fn confirmed_tip<K: KeyValue, C: Clock, G: IdGenerator>(
    ledger: &mut DeviceLedger<K, C, G>,
    account: &AccountId,
) -> Result<(Version, Tip), LedgerError> {
    let combined = ledger.account(account)?.map_or(Version::EMPTY, |state| state.version);
    let confirmed = ledger.store().confirmed_version(account, combined)?;
    let state = match confirmed {
        Version::EMPTY => None,
        _ => ledger.account_at(account, confirmed)?,
    };
    let account_now = state.map_or_else(|| BankAccount::new(account.clone()), BankAccount::restore);
    let (hash, _) = ledger.store().inner().head(account, confirmed)?;
    Ok((confirmed, Tip { account: account_now, hash }))
}
