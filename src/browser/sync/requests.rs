//! What the user asks of sync besides connecting and leaving (which only
//! write or remove the link): cancel a pending command, dismiss a
//! rejection, restore an account from the server, and the choices when the
//! server changed. Each changes the pending logs or the ledger, which only
//! the writing tab does: another tab leaves the request in storage
//! (`{ns}/sync/request`) and the writing tab carries it out when it hears
//! of it (the `storage` event).

use serde::{Deserialize, Serialize};

use super::status::{Problem, State};
use crate::browser::BrowserLedger;
use crate::{confirmed_tip, AccountId, EventId, StoreError};

/// A request to the tab that syncs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SyncRequest {
    /// Withdraw a pending command before the server has it.
    Cancel { account: String, event: String },
    /// Forget a rejection the user has seen.
    Dismiss { account: String, event: String },
    /// Replace this device's copy of an account with the server's.
    Restore { account: String },
    /// The server changed: upload this ledger to it.
    Upload,
    /// The server changed: drop this ledger here and take the server's.
    StartOver,
}

fn key(page: &BrowserLedger) -> Option<String> {
    page.with(|ledger| Ok(ledger.store().inner().keys().sync_request())).ok()
}

impl SyncRequest {
    fn write(&self) -> Option<String> {
        js_sys::JSON::stringify(&serde_wasm_bindgen::to_value(self).ok()?).ok()?.as_string()
    }

    fn read(text: &str) -> Option<SyncRequest> {
        serde_wasm_bindgen::from_value(js_sys::JSON::parse(text).ok()?).ok()
    }
}

fn problem(code: &str, message: impl Into<String>) -> Problem {
    Problem { code: code.to_owned(), message: message.into() }
}

impl BrowserLedger {
    /// Carries out `request` here if this tab syncs, or leaves it for the
    /// tab that does.
    pub fn sync_request(&self, request: SyncRequest) -> Result<(), Problem> {
        if self.writes_here() {
            return self.carry_out(request);
        }
        let (Some(key), Some(text)) = (key(self), request.write()) else {
            return Err(problem("StorageUnavailable", "the request could not be written"));
        };
        self.with(|ledger| Ok(ledger.store_mut().write_note(&key, Some(&text))?)).map_err(|e| problem(e.code(), e.to_string()))
    }

    /// Another tab left a request (`new`, under `key`): the writing tab
    /// carries it out and removes it.
    pub(crate) fn heard_sync_request(&self, written: &str, new: Option<&str>) {
        if key(self).as_deref() != Some(written) || !self.writes_here() {
            return;
        }
        let Some(request) = new.and_then(SyncRequest::read) else { return };
        if let Err(problem) = self.carry_out(request) {
            web_sys::console::warn_1(&format!("a sync request failed: {}", problem.message).into());
        }
        let _ = self.with(|ledger| Ok(ledger.store_mut().write_note(written, None)?));
    }

    fn carry_out(&self, request: SyncRequest) -> Result<(), Problem> {
        let account = |text: &str| AccountId::parse(text).map_err(|e| problem("InvalidAccountId", e.to_string()));
        let event = |text: &str| EventId::parse(text).map_err(|e| problem("InvalidEventId", e.to_string()));
        let failed = |e: crate::LedgerError| problem(e.code(), e.to_string());
        match request {
            SyncRequest::Cancel { account: id, event: event_id } => {
                let (id, event_id) = (account(&id)?, event(&event_id)?);
                if self.sync_status().state == State::Syncing {
                    let message = "sync is sending commands to the server right now: try again in a moment";
                    return Err(problem("SyncBusy", message));
                }
                let removed = self.with(|ledger| {
                    let (_, tip) = confirmed_tip(ledger, &id)?;
                    let removed = ledger.store_mut().remove_pending(&id, &tip, &event_id, None)?;
                    ledger.forget_stream(&id);
                    Ok(removed)
                });
                if removed.map_err(failed)?.is_none() {
                    return Err(problem("NotPending", format!("event {event_id} of account {id} is not pending")));
                }
            }
            SyncRequest::Dismiss { account: id, event: event_id } => {
                let (id, event_id) = (account(&id)?, event(&event_id)?);
                self.with(|ledger| Ok(ledger.store_mut().dismiss(&id, &event_id)?)).map_err(failed)?;
            }
            SyncRequest::Restore { account: id } => {
                let id = account(&id)?;
                self.with(|ledger| {
                    ledger.store_mut().remove_stream(&id)?;
                    ledger.forget_stream(&id);
                    ledger.rescan();
                    Ok(())
                })
                .map_err(failed)?;
                self.start_sync();
            }
            SyncRequest::Upload => {
                self.with(|ledger| Ok(ledger.store_mut().forget_place()?)).map_err(failed)?;
                self.start_sync();
            }
            SyncRequest::StartOver => {
                self.with(|ledger| {
                    ledger.store_mut().clear_ledger()?;
                    ledger.forget();
                    Ok(())
                })
                .map_err(failed)?;
                self.start_sync();
            }
        }
        self.changed();
        Ok(())
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Problem {
        problem(error.code(), error.to_string())
    }
}
