//! Taking the ledger out and bringing it back: export every healthy account
//! as NDJSON (export/), and import such a file (or the original server's
//! bare array of events) by merging on event ids, all or nothing.

use super::{Ledger, LedgerError};
use crate::clock::{Clock, IdGenerator};
use crate::domain::{AccountId, ExpectedVersion, Version};
use crate::export::{read_export, read_server_events, write_export, ImportError};
use crate::store::{EventStore, NewEvent};

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// How many accounts the file holds.
    pub accounts: u64,
    pub events_added: u64,
    /// Events the ledger already had (same id, same event, same place).
    pub events_skipped: u64,
}

fn invalid(error: ImportError) -> LedgerError {
    LedgerError::InvalidImport { line: error.line, reason: error.reason }
}

impl<S: EventStore, C: Clock, G: IdGenerator> Ledger<S, C, G> {
    /// Every healthy account, with every event and hash, as an export file.
    pub fn export(&mut self) -> Result<String, LedgerError> {
        let overview = self.accounts()?;
        let mut streams = Vec::with_capacity(overview.accounts.accounts.len());
        for account in &overview.accounts.accounts {
            streams.push((account.id.clone(), self.history(&account.id)?));
        }
        Ok(write_export(self.clock.now(), &streams))
    }

    /// Imports an export, or, with `account`, the original server's bare
    /// array of events as the history of that new account. Refuses the
    /// whole file (typed, naming the line) if any of it is malformed, fails
    /// its hashes or rules, or conflicts with the local history; otherwise
    /// adds what is new and skips what is already here.
    pub fn import(&mut self, text: &str, account: Option<&AccountId>) -> Result<ImportReport, LedgerError> {
        if text.trim_start().starts_with('[') {
            return self.import_server_events(text, account);
        }
        let export = read_export(text).map_err(invalid)?;
        let mut report = ImportReport { accounts: u64::try_from(export.streams.len()).unwrap_or(u64::MAX), ..Default::default() };
        let mut batches = Vec::new();
        for (id, events) in export.streams {
            let local = self.store.read(&id, Version::EMPTY)?;
            for ((line, theirs), ours) in events.iter().zip(&local) {
                let same = theirs.event_id == ours.event_id && theirs.event == ours.event && theirs.hash == ours.hash;
                if !same {
                    let reason = format!("account {id} version {} conflicts with this ledger's history", ours.version);
                    return Err(LedgerError::InvalidImport { line: *line, reason });
                }
            }
            report.events_skipped += u64::try_from(events.len().min(local.len())).unwrap_or(u64::MAX);
            let new: Vec<_> = events.into_iter().skip(local.len()).map(|(_, e)| e).collect();
            if !new.is_empty() {
                report.events_added += u64::try_from(new.len()).unwrap_or(u64::MAX);
                let at = Version::new(u64::try_from(local.len()).unwrap_or(u64::MAX));
                batches.push((id, at, new));
            }
        }
        let touched: Vec<AccountId> = batches.iter().map(|(id, _, _)| id.clone()).collect();
        if !batches.is_empty() {
            self.store.import(batches)?;
        }
        for id in &touched {
            self.forget_stream(id);
        }
        self.rescan();
        Ok(report)
    }

    fn import_server_events(&mut self, text: &str, account: Option<&AccountId>) -> Result<ImportReport, LedgerError> {
        let Some(id) = account else {
            let reason = "a bare array of events is one account's history: say which account".to_owned();
            return Err(LedgerError::InvalidImport { line: 1, reason });
        };
        let events = read_server_events(text, id).map_err(invalid)?;
        if !self.store.read_page(id, Version::EMPTY, 1)?.is_empty() {
            let reason = format!("account {id} already exists here; the events can only start a new account");
            return Err(LedgerError::InvalidImport { line: 1, reason });
        }
        let count = u64::try_from(events.len()).unwrap_or(u64::MAX);
        let new = events
            .into_iter()
            .map(|event| NewEvent { event_id: self.ids.next_id(), recorded_at: self.clock.now(), command_id: None, event })
            .collect();
        self.store.append(id, ExpectedVersion(Version::EMPTY), new)?;
        self.forget_stream(id);
        self.rescan();
        Ok(ImportReport { accounts: 1, events_added: count, events_skipped: 0 })
    }
}
