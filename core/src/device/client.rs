//! The sync client's decisions, free of I/O (docs/sync-client.md): what to
//! push next, and what to make of each answer and pull. The browser's sync
//! loop moves the messages and calls these; native tests call them with
//! answers made by a real `plan_push` on a stream.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::link::Place;
use super::rebase::Rejection;
use super::store::SyncedStore;
use crate::domain::{AccountId, BankAccount, Version};
use crate::ledger::{Ledger, LedgerError};
use crate::store::{ChainHash, Envelope, EventStore, KeyValue, StoreError, Tip};
use crate::sync::{Behind, Heads, Pulled, Push, Pushed};
use crate::{Clock, IdGenerator};

/// The most events one push of the client carries: 128 events of at most
/// about 400 bytes stay under the server's 64 KiB body limit.
pub const PUSH_EVENTS: usize = 128;

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

/// An account whose confirmed history here is not the server's: edited
/// behind the app's back, or made apart from it before the device synced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    pub account: AccountId,
    /// The first version at which the two differ (or may).
    pub version: Version,
    pub reason: String,
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

    /// Accounts whose confirmed history is not the server's: sync leaves
    /// them alone until the user decides.
    pub fn divergences(&self) -> impl Iterator<Item = &Divergence> {
        self.differs.values()
    }

    /// The account is to be synced again from scratch (restored from the
    /// server, or the user chose to keep syncing it).
    pub fn forgive(&mut self, account: &AccountId) {
        self.differs.remove(account);
        self.server_versions.remove(account);
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

    fn differ(&mut self, account: &AccountId, version: Version, reason: String) {
        self.differs.entry(account.clone()).or_insert(Divergence { account: account.clone(), version, reason });
    }

    /// Compares the server's head of every account (version and hash, from
    /// `GET /sync/accounts`) with this device's confirmed streams. An
    /// account the server lacks, or holds a prefix of, is to be uploaded;
    /// one it holds more of is read (a gap); one whose head differs where
    /// both reach is a divergence: the server is the witness.
    pub fn compare<K: KeyValue, C: Clock, G: IdGenerator>(
        &mut self,
        ledger: &mut DeviceLedger<K, C, G>,
        heads: impl IntoIterator<Item = (AccountId, Version, ChainHash)>,
    ) -> Result<Progress, SyncError> {
        let mut progress = Progress::default();
        let mut seen = HashSet::new();
        for (account, version, hash) in heads {
            seen.insert(account.clone());
            if self.differs.contains_key(&account) {
                continue;
            }
            self.server_versions.insert(account.clone(), version);
            let (confirmed, tip) = confirmed_tip(ledger, &account)?;
            if confirmed < version {
                progress.gaps.push((account, confirmed));
                continue;
            }
            let here = match (confirmed == version, version.get().checked_sub(1)) {
                (true, _) | (false, None) => tip.hash,
                (false, Some(before)) => {
                    let held = ledger.store().inner().read_page(&account, Version::new(before), 1)?;
                    held.first().map_or(ChainHash::GENESIS, |event| event.hash)
                }
            };
            if here != hash {
                let reason = format!("event {version} here is not the server's: this copy was changed, or made apart from it");
                self.differ(&account, version, reason);
            }
        }
        // Accounts with confirmed events the server lacks: upload them whole.
        let ids = ledger.store().inner().streams()?.ids;
        for account in ids.into_iter().filter(|id| !seen.contains(id)) {
            self.server_versions.insert(account, Version::EMPTY);
        }
        Ok(progress)
    }

    /// The next push to send: confirmed events the server lacks (history
    /// made before this device synced), else the account's pending events.
    pub fn next_push<K: KeyValue, C: Clock, G: IdGenerator>(
        &self,
        ledger: &mut DeviceLedger<K, C, G>,
    ) -> Result<Option<(AccountId, Push)>, SyncError> {
        let mut accounts: Vec<AccountId> = self.server_versions.keys().cloned().collect();
        accounts.extend(ledger.store().logged()?.0);
        accounts.sort();
        accounts.dedup();
        for account in accounts {
            if self.differs.contains_key(&account) {
                continue;
            }
            let (confirmed, _) = confirmed_tip(ledger, &account)?;
            let on_server = self.server_versions.get(&account).copied();
            let (after, events) = match on_server {
                Some(server) if server < confirmed => (server, ledger.store().inner().read_page(&account, server, PUSH_EVENTS)?),
                _ => {
                    let mut pending = ledger.store().pending(&account)?;
                    pending.truncate(PUSH_EVENTS);
                    (confirmed, pending)
                }
            };
            if !events.is_empty() {
                return Ok(Some((account, Push { after, events })));
            }
        }
        Ok(None)
    }

    /// The server stored `push` (or held it already): its pending events
    /// are confirmed.
    pub fn pushed<K: KeyValue, C: Clock, G: IdGenerator>(
        &mut self,
        ledger: &mut DeviceLedger<K, C, G>,
        account: &AccountId,
        push: &Push,
        answer: &Pushed,
    ) -> Result<Progress, SyncError> {
        self.check_server(&answer.server)?;
        let (confirmed, _) = confirmed_tip(ledger, account)?;
        let stored = push.events.iter().filter(|e| e.version <= answer.version);
        // History from before sync, uploaded from the stream here: the
        // server has it now, and there is nothing to take.
        let uploaded = stored.clone().filter(|e| e.version <= confirmed).count();
        self.counts.uploaded += u64::try_from(uploaded).unwrap_or(0);
        let known = self.server_versions.entry(account.clone()).or_default();
        *known = (*known).max(answer.version);
        let pending: Vec<Envelope> = stored.filter(|e| e.version > confirmed).cloned().collect();
        self.take(ledger, account, pending)
    }

    /// The server's stream had moved on (409): it holds the pushed events
    /// before the first it lacks as pushed, then `missing`. Those are taken,
    /// and pending commands decided again on top.
    pub fn behind<K: KeyValue, C: Clock, G: IdGenerator>(
        &mut self,
        ledger: &mut DeviceLedger<K, C, G>,
        push: &Push,
        answer: Behind,
    ) -> Result<Progress, SyncError> {
        self.check_server(&answer.server)?;
        let account = answer.account;
        if answer.version < push.after {
            // The server lacks confirmed events of ours: upload them first.
            self.server_versions.insert(account, answer.version);
            return Ok(Progress::default());
        }
        let shared = answer.missing.first().map_or(answer.version, |e| Version::new(e.envelope.version.get() - 1));
        let mut events: Vec<Envelope> = push.events.iter().filter(|e| e.version <= shared).cloned().collect();
        events.extend(answer.missing.into_iter().map(|e| e.envelope));
        self.take(ledger, &account, events)
    }

    /// The server refused an event of a push (400 `InvalidEvent` at
    /// `version`, or a body it would not take at all, when `version` is
    /// `None` and the push held one event): a pending one becomes a
    /// rejection and the rest of the queue moves on; confirmed history the
    /// server refuses is a divergence.
    pub fn refused<K: KeyValue, C: Clock, G: IdGenerator>(
        &mut self,
        ledger: &mut DeviceLedger<K, C, G>,
        account: &AccountId,
        push: &Push,
        version: Option<Version>,
        code: &str,
        message: &str,
    ) -> Result<Progress, SyncError> {
        let mut progress = Progress::default();
        let Some(event) = push.events.iter().find(|e| version.is_none_or(|v| e.version == v)) else {
            return Ok(progress);
        };
        let (confirmed, tip) = confirmed_tip(ledger, account)?;
        if event.version <= confirmed {
            let reason = format!("the server refused this account's history at version {}: {message}", event.version);
            self.differ(account, event.version, reason);
            return Ok(progress);
        }
        let refusal = Some((code.to_owned(), message.to_owned()));
        if let Some(rejected) = ledger.store_mut().remove_pending(account, &tip, &event.event_id, refusal)? {
            ledger.forget_stream(account);
            self.counts.rejected += u64::try_from(rejected.len()).unwrap_or(0);
            progress.rejected = rejected.into_iter().map(|r| (account.clone(), r)).collect();
            progress.changed.push(account.clone());
        }
        Ok(progress)
    }

    /// How many events the server holds that this device has not taken,
    /// and how many of this device's it lacks, as far as known: for the
    /// progress of a first download or upload.
    pub fn outstanding<K: KeyValue, C: Clock, G: IdGenerator>(
        &self,
        ledger: &mut DeviceLedger<K, C, G>,
    ) -> Result<(u64, u64), SyncError> {
        let (mut down, mut up) = (0, 0);
        for (account, server) in &self.server_versions {
            let (confirmed, _) = confirmed_tip(ledger, account)?;
            down += server.get().saturating_sub(confirmed.get());
            up += confirmed.get().saturating_sub(server.get());
        }
        for account in ledger.store().logged()?.0 {
            up += u64::try_from(ledger.store().pending_count(&account)?).unwrap_or(u64::MAX);
        }
        Ok((down, up))
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
