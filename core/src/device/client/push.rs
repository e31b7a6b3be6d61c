//! What to push next, and what to make of the server's answer to a push.

use super::{confirmed_tip, DeviceLedger, Progress, SyncClient, SyncError};
use crate::domain::{AccountId, Version};
use crate::store::{Envelope, EventStore, KeyValue};
use crate::sync::{fit_push, Behind, Push, Pushed, PUSH_BYTES};
use crate::{Clock, IdGenerator};

/// The most events one push of the client carries; fewer when they weigh
/// more than [`PUSH_BYTES`] together.
pub const PUSH_EVENTS: usize = 128;

/// How many of `events`, from the first, a server that takes schema
/// `accepts` can take: up to the first of a newer schema.
fn sendable(events: &[Envelope], accepts: u32) -> usize {
    events.iter().take_while(|e| e.event.schema() <= accepts).count()
}

impl SyncClient {
    /// The next push to send: confirmed events the server lacks (history
    /// made before this device synced), else the account's pending events;
    /// none of a schema newer than `accepts`, what the server takes (those,
    /// and every event after them in their account, wait for the server's
    /// update: never sent to be refused).
    pub fn next_push<K: KeyValue, C: Clock, G: IdGenerator>(
        &self,
        ledger: &mut DeviceLedger<K, C, G>,
        accepts: u32,
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
            let mut events = events;
            events.truncate(sendable(&events, accepts));
            if !events.is_empty() {
                events.truncate(fit_push(&events, PUSH_BYTES));
                return Ok(Some((account, Push { after, events })));
            }
        }
        Ok(None)
    }

    /// How many events this device holds for the server that wait for it to
    /// take a newer schema than `accepts`.
    pub fn held_back<K: KeyValue, C: Clock, G: IdGenerator>(
        &self,
        ledger: &mut DeviceLedger<K, C, G>,
        accepts: u32,
    ) -> Result<usize, SyncError> {
        let mut accounts: Vec<AccountId> = self.server_versions.keys().cloned().collect();
        accounts.extend(ledger.store().logged()?.0);
        accounts.sort();
        accounts.dedup();
        let mut held = 0;
        for account in accounts {
            if self.differs.contains_key(&account) {
                continue;
            }
            let (confirmed, _) = confirmed_tip(ledger, &account)?;
            let on_server = self.server_versions.get(&account).copied().unwrap_or(confirmed);
            let mut events = ledger.store().inner().read(&account, on_server.min(confirmed))?;
            events.extend(ledger.store().pending(&account)?);
            held += events.len() - sendable(&events, accepts);
        }
        Ok(held)
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
