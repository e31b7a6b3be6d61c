//! The sync loop of the writing tab: rounds of sync (the core's `round`),
//! then the live feed until there is something to push; after a passing
//! failure, again with a growing pause (1 s doubling to a minute), woken
//! early when the browser comes back online. It never gives up; it stops
//! for a bad token (until a new one), another server (until the user
//! decides), or when the link is removed (the pending events are folded
//! into local history). Only the tab that writes runs it: one connection
//! per origin, and it moves with the writer role (a new writer starts it;
//! pending events are in storage, so a hand-over strands none).

use std::cell::{Cell, RefCell};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::status::{Differs, Problem, State, SyncStatus};
use super::transport::Fetch;
use crate::browser::{BrowserClock, BrowserLedger, LocalStorageKv, RandomIds};
use crate::Link;
use crate::{
    listen, round, Clock, Device, DeviceLedger, LedgerError, Progress, RoundError, StoreError, SyncClient, SyncError,
    TransportError,
};

/// The longest pause between tries.
const MAX_PAUSE_MS: f64 = 60_000.0;

/// The sync loop's state, in the page.
#[derive(Debug, Default)]
pub struct Syncing {
    client: RefCell<SyncClient>,
    status: RefCell<SyncStatus>,
    /// Bumped to stop the running loop (the link changed, a decision).
    generation: Cell<u64>,
    /// The transport in use, to cut a live wait short.
    fetch: RefCell<Option<Fetch>>,
    listening: Cell<bool>,
    kicked: Cell<bool>,
    /// Ends the current pause early.
    wake: RefCell<Option<js_sys::Function>>,
    online_listener: Cell<bool>,
}

impl Device<LocalStorageKv, BrowserClock, RandomIds> for BrowserLedger {
    fn with<R>(
        &self,
        f: impl FnOnce(&mut DeviceLedger<LocalStorageKv, BrowserClock, RandomIds>, &mut SyncClient) -> Result<R, SyncError>,
    ) -> Result<R, SyncError> {
        let Ok(mut client) = self.syncing().client.try_borrow_mut() else {
            return Err(busy());
        };
        let mut outcome = None;
        let done = BrowserLedger::with(self, |ledger| {
            outcome = Some(f(ledger, &mut client));
            Ok(())
        });
        match (done, outcome) {
            (Ok(()), Some(outcome)) => outcome,
            (Err(error), _) => Err(error.into()),
            (Ok(()), None) => Err(busy()),
        }
    }

    fn progressed(&self) {
        // The counts are copied into the status as it is stored.
        self.set_status(|_| {});
    }
}

fn busy() -> SyncError {
    SyncError::Ledger(StoreError::Unavailable { reason: "the ledger is busy".into() }.into())
}

impl BrowserLedger {
    /// Starts (or restarts) the sync loop; the writing tab calls it when it
    /// takes over and whenever the link changes.
    pub(crate) fn start_sync(&self) {
        let syncing = self.syncing();
        let generation = syncing.generation.get() + 1;
        syncing.generation.set(generation);
        if let Some(fetch) = syncing.fetch.borrow().as_ref() {
            fetch.abort();
        }
        self.wake_sync();
        self.listen_for_online();
        let place = self.with(|ledger| Ok(ledger.store().place()?)).unwrap_or_default();
        if let Ok(mut client) = syncing.client.try_borrow_mut() {
            *client = SyncClient::new(place);
        }
        wasm_bindgen_futures::spawn_local(run(self.clone(), generation));
    }

    /// Links this device to a server (any tab may: the writing tab hears of
    /// it and syncs).
    pub fn connect(&self, link: &Link) -> Result<(), Problem> {
        self.with(|ledger| Ok(ledger.store_mut().save_link(link)?))?;
        if self.writes_here() {
            self.start_sync();
        }
        Ok(())
    }

    /// Leaves the server (the writing tab folds pending events into local
    /// history).
    pub fn disconnect(&self) -> Result<(), Problem> {
        self.with(|ledger| Ok(ledger.store_mut().forget_link()?))?;
        if self.writes_here() {
            self.start_sync();
        }
        Ok(())
    }

    /// How many events wait for the server, in every account.
    pub fn pending_total(&self) -> usize {
        pending_total(self)
    }

    /// This tab ran a command (which, linked, made pending events): the
    /// loop pushes after the round in progress, or cuts its wait on the
    /// live feed short.
    pub(crate) fn kick_sync(&self) {
        let syncing = self.syncing();
        syncing.kicked.set(true);
        if syncing.listening.get() {
            if let Some(fetch) = syncing.fetch.borrow().as_ref() {
                fetch.abort();
            }
        }
    }

    fn wake_sync(&self) {
        if let Some(wake) = self.syncing().wake.borrow_mut().take() {
            let _ = wake.call0(&wasm_bindgen::JsValue::NULL);
        }
    }

    fn listen_for_online(&self) {
        if self.syncing().online_listener.replace(true) {
            return;
        }
        let page = self.clone();
        let online = Closure::<dyn Fn()>::new(move || page.wake_sync());
        if let Some(window) = web_sys::window() {
            if window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref()).is_ok() {
                online.forget();
            }
        }
    }

    /// Sync's status as this tab knows it: its own (it syncs), or what the
    /// writing tab last stored.
    pub fn sync_status(&self) -> SyncStatus {
        let stored = self.with(|ledger| Ok(ledger.store().note(&ledger.store().inner().keys().sync_status())?));
        let linked = self.with(|ledger| Ok(ledger.store().link()?)).ok().flatten();
        let mut status = stored.ok().flatten().and_then(|text| SyncStatus::read(&text)).unwrap_or_default();
        if linked.is_none() {
            status = SyncStatus::default();
        }
        status
    }

    /// Changes the status, stores it for the other tabs and redraws.
    fn set_status(&self, change: impl FnOnce(&mut SyncStatus)) {
        let text = {
            let Ok(mut status) = self.syncing().status.try_borrow_mut() else { return };
            let before = status.clone();
            change(&mut status);
            if let Ok(client) = self.syncing().client.try_borrow() {
                status.server_position = client.position();
                let counts = client.counts;
                (status.downloaded, status.to_download) = (counts.downloaded, counts.to_download);
                (status.uploaded, status.to_upload) = (counts.uploaded, counts.to_upload);
                (status.redecided, status.rejected) = (counts.redecided, counts.rejected);
                status.differs = client
                    .divergences()
                    .map(|d| Differs { id: d.account.to_string(), version: d.version.get(), reason: d.reason.clone() })
                    .collect();
            }
            if *status == before {
                return;
            }
            status.updated_at = js_sys::Date::now();
            status.write()
        };
        if let Some(text) = text {
            let _ = self.with(|ledger| {
                let key = ledger.store().inner().keys().sync_status();
                Ok(ledger.store_mut().write_note(&key, Some(&text))?)
            });
        }
        self.changed();
    }

    pub(crate) fn syncing(&self) -> &Syncing {
        self.sync_state()
    }

    /// Another tab wrote `key`: a new or removed link restarts sync in the
    /// writing tab; a request left for it is carried out.
    pub(crate) fn heard_sync_write(&self, key: &str, new: Option<&str>) {
        let link = self.with(|ledger| Ok(ledger.store().inner().keys().link())).ok();
        if link.as_deref() == Some(key) && self.writes_here() {
            self.start_sync();
        }
        self.heard_sync_request(key, new);
    }
}

/// What the page says of events held for a server update.
fn waiting_for_server(held: usize) -> String {
    let events = if held == 1 { "1 entry is".to_owned() } else { format!("{held} entries are") };
    format!("{events} of a newer version of the app than the server takes: kept here, and sent once the server is updated.")
}

fn problem(code: &str, message: impl Into<String>) -> Option<Problem> {
    Some(Problem { code: code.to_owned(), message: message.into() })
}

/// What a failed round or live wait means for the loop: the state to show,
/// and whether to try again after a pause.
fn judge(error: &RoundError) -> (State, bool) {
    match error {
        RoundError::Transport(TransportError::Unavailable { .. }) => (State::Offline, true),
        RoundError::Transport(TransportError::Unauthorized { .. }) => (State::Error, false),
        RoundError::Transport(TransportError::NewerServer { .. }) => (State::NeedsReload, false),
        RoundError::Sync(SyncError::ServerChanged { .. }) => (State::NeedsDecision, false),
        RoundError::Transport(TransportError::Refused { .. }) | RoundError::Sync(_) | RoundError::Restless { .. } => {
            (State::Error, true)
        }
    }
}

async fn run(page: BrowserLedger, generation: u64) {
    let current = |page: &BrowserLedger| page.syncing().generation.get() == generation;
    let mut pause = 1_000.0;
    loop {
        if !current(&page) {
            return;
        }
        let link = page.with(|ledger| Ok(ledger.store().link()?)).ok().flatten();
        let Some(link) = link else {
            leave(&page);
            return;
        };
        // What the server announced last round is kept: every request after
        // its first answer on this page carries the device's schema.
        let heard = page.syncing().fetch.borrow().as_ref().and_then(|previous| previous.announced_by(&link.url));
        let fetch = Fetch::new(&link.url, link.token.as_deref()).having_heard(heard);
        *page.syncing().fetch.borrow_mut() = Some(fetch.clone());
        let url = link.url.clone();
        page.set_status(|status| {
            status.state = State::Syncing;
            status.url = Some(url);
        });
        let mut transport = fetch.clone();
        // Commands from now on are in this round or the next.
        page.syncing().kicked.set(false);
        let mut held = 0;
        let mut outcome = round(&page, &mut transport).await.map(|progress| {
            held = progress.held;
            taken(&page, &progress)
        });
        while outcome.is_ok() && current(&page) {
            pause = 1_000.0;
            page.set_status(|status| {
                (status.state, status.error) = match held {
                    0 => (State::Synced, None),
                    _ => (State::NeedsServerUpdate, problem("NeedsServerUpdate", waiting_for_server(held))),
                };
                status.last_synced_at = Some(BrowserClock.now().0 as f64);
            });
            // A command came during the round: another round sends it.
            if page.syncing().kicked.get() {
                break;
            }
            page.syncing().listening.set(true);
            outcome = listen(&page, &mut transport).await.map(|progress| taken(&page, &progress));
            page.syncing().listening.set(false);
            // Held events: a new round after each live wait sees the
            // server's update.
            if page.syncing().kicked.get() || held > 0 {
                outcome = Ok(());
                break;
            }
        }
        if !current(&page) {
            return;
        }
        let Err(error) = outcome else { continue };
        let (state, again) = judge(&error);
        page.set_status(|status| {
            status.state = state;
            status.error = problem(error.code(), error.to_string());
        });
        if !again {
            return;
        }
        // A little randomness, so devices that lost the server together do
        // not all come back in the same instant.
        let jitter = 0.8 + 0.4 * js_sys::Math::random();
        sleep(&page, pause * jitter).await;
        pause = (pause * 2.0).min(MAX_PAUSE_MS);
    }
}

/// Shows what a step changed.
fn taken(page: &BrowserLedger, progress: &Progress) {
    if !progress.changed.is_empty() || !progress.rejected.is_empty() {
        page.changed();
    }
}

fn pending_total(page: &BrowserLedger) -> usize {
    page.with(|ledger| {
        let store = ledger.store();
        let mut total = 0;
        for account in store.logged()?.0 {
            total += store.pending_count(&account)?;
        }
        Ok(total)
    })
    .unwrap_or(0)
}

/// The link is gone: pending events become local history, the place in
/// the server's order is forgotten, and the status says off.
fn leave(page: &BrowserLedger) {
    let folded = page.with(|ledger| {
        let accounts = ledger.store().logged()?.0;
        for account in &accounts {
            ledger.store_mut().fold(account)?;
            ledger.forget_stream(account);
        }
        ledger.store_mut().forget_place()?;
        Ok(())
    });
    if let Err(error) = folded {
        web_sys::console::warn_1(&format!("pending events were not folded yet: {error}").into());
    }
    if let Ok(mut client) = page.syncing().client.try_borrow_mut() {
        *client = SyncClient::default();
    }
    page.set_status(|status| *status = SyncStatus::default());
}

/// Waits `ms`, or until woken.
async fn sleep(page: &BrowserLedger, ms: f64) {
    let syncing = page.syncing();
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
        *syncing.wake.borrow_mut() = Some(resolve);
    });
    let _ = JsFuture::from(promise).await;
    syncing.wake.borrow_mut().take();
}

impl From<LedgerError> for Problem {
    fn from(error: LedgerError) -> Problem {
        Problem { code: error.code().to_owned(), message: error.to_string() }
    }
}
