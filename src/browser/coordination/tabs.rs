//! This tab among the origin's tabs: its role, the channel, the requests it
//! waits on, and the paths a command takes (here, or to the tab that
//! writes). The state lives in [`Tabs`], inside the page's
//! [`BrowserLedger`]; the browser's callbacks hold a clone of that handle.

use std::cell::{Cell, RefCell};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::builds::OtherBuild;
use super::lease::Lease;
use super::waiting::{answer, resend_waiting};
use super::wire::{Heard, TabMessage as Message};
use super::{handover, lease};
use crate::browser::{new_command_id, BrowserLedger, Scope};
use crate::{AccountState, CommandRequest, LedgerError, StoreError};

/// How long a follower waits for the leader's answer before sending again.
const ANSWER_TIMEOUT_MS: i32 = 1_000;
const ATTEMPTS: u32 = 10;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Role {
    #[default]
    Unknown,
    Leader,
    Follower,
}

/// This tab's part in the coordination.
#[derive(Debug)]
pub struct Tabs {
    /// The names of this copy of the app (scope.rs): the lock every build
    /// of it holds to write (two names would mean two writers), the channel
    /// they all meet on (its messages say their protocol), the lease and
    /// the mark.
    pub(super) scope: Scope,
    pub(super) role: Cell<Role>,
    channel: RefCell<Option<web_sys::BroadcastChannel>>,
    /// Requests sent to the leader (a few at most), by request id: what
    /// wakes each.
    pub(super) waiting: RefCell<Vec<(String, js_sys::Function)>>,
    /// A change announcement is scheduled.
    announcing: Cell<bool>,
    /// The channel this tab posts its announcements to itself on.
    announcer: RefCell<Option<web_sys::MessageChannel>>,
    /// A tab of another build, as this one heard of it (builds.rs).
    pub(super) other_build: Cell<Option<OtherBuild>>,
    /// This tab's id in the writer's mark, once it writes (handover.rs).
    pub(super) writing_as: RefCell<Option<String>>,
    /// The lease, when this tab writes without Web Locks (lease.rs).
    pub(super) lease: Lease,
}

impl Tabs {
    /// A tab of the copy `scope` names, its role still unknown.
    pub fn new(scope: Scope) -> Tabs {
        Tabs {
            role: Cell::default(),
            channel: RefCell::default(),
            waiting: RefCell::default(),
            announcing: Cell::default(),
            announcer: RefCell::default(),
            other_build: Cell::default(),
            writing_as: RefCell::default(),
            lease: Lease::new(scope.lease()),
            scope,
        }
    }

    pub(super) fn role(&self) -> Role {
        self.role.get()
    }

    pub(super) fn post(&self, message: &Message) {
        // Messages travel as text (wire.rs).
        let value = JsValue::from_str(&message.encode());
        if let Some(channel) = self.channel.borrow().as_ref() {
            let _ = channel.post_message(&value);
        }
    }

    /// Whether this tab writes now.
    fn writes(&self) -> bool {
        self.role() == Role::Leader && (!self.lease.active() || lease::still_mine(self))
    }
}

pub(super) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

impl BrowserLedger {
    /// Joins the channel and asks for the lead. Called once, when the page's
    /// ledger opens.
    pub(in crate::browser) fn start_coordination(&self) {
        let Ok(channel) = web_sys::BroadcastChannel::new(&self.tabs().scope.channel()) else {
            return super::election::write_by_lease(self);
        };
        let page = self.clone();
        let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(text) = event.data().as_string() {
                receive(&page, &text);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        *self.tabs().channel.borrow_mut() = Some(channel);

        super::election::ask_to_write(self);
    }

    /// Whether this tab is the one that writes (and syncs) now.
    pub(crate) fn writes_here(&self) -> bool {
        self.tabs().writes()
    }

    /// What the page should tell the user about tabs of another build, if
    /// anything: this tab does not send commands until it is reloaded.
    pub fn other_build(&self) -> Option<&'static str> {
        self.tabs().other_build.get().map(OtherBuild::message)
    }

    /// Runs `change` (an import) on the ledger, which only the writing tab
    /// may do; another tab is refused rather than forwarding a whole file.
    pub fn change_here<T>(
        &self,
        change: impl FnOnce(&mut super::super::AppLedger) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        if self.tabs().role() == Role::Follower {
            let reason = "another tab of this ledger writes it: do this there, or close the other tabs".to_owned();
            return Err(StoreError::Unavailable { reason }.into());
        }
        let outcome = self.with(change);
        announce_change(self);
        if outcome.is_ok() {
            self.keep_storage();
        }
        outcome
    }

    /// Runs `request` here and now if this tab is known to be the one that
    /// writes; `None` otherwise (then [`BrowserLedger::execute`] finds the
    /// writer).
    pub fn execute_here(&self, request: &CommandRequest) -> Option<Result<AccountState, LedgerError>> {
        // Called inside another call on the ledger: [`BrowserLedger::execute`]
        // waits for it to end.
        if !self.tabs().writes() || self.is_busy() {
            return None;
        }
        let outcome = self.with(|ledger| ledger.execute(request));
        if refused_for_room_by_chance(self, &outcome) {
            // [`BrowserLedger::execute`] tries it again a moment later.
            return None;
        }
        // A full storage changes what the storage meter says, too.
        if matches!(outcome, Ok(_) | Err(LedgerError::Store(StoreError::Full))) {
            announce_change(self);
        }
        if outcome.is_ok() {
            self.keep_storage();
        }
        Some(outcome)
    }

    /// Runs `request` in the tab that writes, and returns the account's new
    /// state. A conflict with another tab never reaches the caller: the
    /// leader retries it; a lost leader means sending again, done once
    /// thanks to the command id, which the command keeps wherever it runs
    /// (one is made when the caller gave none). No answer at all is
    /// `OutcomeUnknown`: send it again with the same command id.
    pub async fn execute(&self, request: CommandRequest) -> Result<AccountState, LedgerError> {
        let outcome = self.execute_somewhere(request).await;
        if outcome.is_ok() {
            // Something is stored now: ask the browser to keep it.
            self.keep_storage();
        }
        outcome
    }

    async fn execute_somewhere(&self, request: CommandRequest) -> Result<AccountState, LedgerError> {
        // The role is known a moment after the page opens (up to the
        // hand-over's limit after a crash). Counted by the clock: a hidden
        // tab's timers may be slowed to one a second.
        let start = js_sys::Date::now();
        let tabs = self.tabs();
        while tabs.role() == Role::Unknown && js_sys::Date::now() - start < f64::from(handover::SETTLE_LIMIT_MS + 500) {
            sleep(5).await;
        }
        let command_id = request.command_id.clone().unwrap_or_else(new_command_id);
        let request = request.with_command_id(Some(command_id.clone()));
        let asking = new_command_id();
        for _ in 0..ATTEMPTS {
            match tabs.role() {
                // Found no longer holding the lease, this tab is a follower now.
                Role::Leader if tabs.lease.active() && !lease::still_mine(tabs) => continue,
                Role::Leader => return run_here(self, &request).await,
                Role::Unknown => {
                    let reason = "this tab has not learnt yet whether it may write: try again in a moment".to_owned();
                    return Err(StoreError::Unavailable { reason }.into());
                }
                Role::Follower => {}
            }
            if let Some(message) = self.other_build() {
                return Err(StoreError::Unavailable { reason: message.to_owned() }.into());
            }
            if tabs.channel.borrow().is_none() {
                let reason = "another tab writes this ledger, and this browser can't send it commands: use that tab, or close it"
                    .to_owned();
                return Err(StoreError::Unavailable { reason }.into());
            }
            tabs.post(&Message::Command {
                request: asking.clone(),
                account: request.account.clone(),
                command: request.command.clone(),
                command_id: command_id.clone(),
            });
            if let Some(outcome) = answer(tabs, asking.as_str(), ANSWER_TIMEOUT_MS).await {
                return outcome;
            }
        }
        Err(LedgerError::OutcomeUnknown { id: request.account, command_id })
    }
}

/// Tells this tab's listeners and the other tabs that the ledger changed:
/// once for a burst of commands, as soon as the burst lets the event loop
/// run (a script awaiting command after command would otherwise redraw the
/// page and message every tab for each one).
fn announce_change(page: &BrowserLedger) {
    // New events may wait for the server: sync sends them now.
    page.kick_sync();
    if page.tabs().announcing.replace(true) {
        return;
    }
    if !next_task(page) {
        announce(page);
    }
}

fn announce(page: &BrowserLedger) {
    page.tabs().announcing.set(false);
    page.tabs().post(&Message::Changed);
    page.changed();
}

/// Announces in a task of its own, soon: a message this tab posts to
/// itself. Not `setTimeout(…, 0)`: browsers run a background tab's timers
/// at most about once a second, and the tab that writes is often in the
/// background while the others, and its own page, wait on its
/// announcement. False when the browser has no `MessageChannel`.
fn next_task(page: &BrowserLedger) -> bool {
    let tabs = page.tabs();
    if tabs.announcer.borrow().is_none() {
        let Ok(channel) = web_sys::MessageChannel::new() else { return false };
        let later = page.clone();
        let on_message = Closure::<dyn Fn()>::new(move || announce(&later));
        channel.port1().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // Both live as long as the page.
        on_message.forget();
        *tabs.announcer.borrow_mut() = Some(channel);
    }
    tabs.announcer.borrow().as_ref().is_some_and(|channel| channel.port2().post_message(&JsValue::UNDEFINED).is_ok())
}

fn receive(page: &BrowserLedger, text: &str) {
    let tabs = page.tabs();
    let message = match Message::hear(text) {
        Some(Heard::Message(message)) => message,
        Some(Heard::OtherProtocol { protocol, from_writer }) => return super::builds::heard_other(page, protocol, from_writer),
        None => return,
    };
    match message {
        Message::Command { request, account, command, command_id } => {
            // Unanswered, a command is sent again, to whichever tab writes.
            if !tabs.writes() {
                return;
            }
            let page = page.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = run_here(&page, &CommandRequest::new(account, command).with_command_id(Some(command_id))).await;
                page.tabs().post(&Message::Answer { request, outcome });
            });
        }
        Message::Answer { request, .. } => {
            // The waiting call decodes the answer again; a JS string is
            // what travels through its promise.
            if let Some(resolve) = tabs.take_waiting(request.as_str()) {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(text));
            }
        }
        // New events show on the next read; a new account comes with a
        // `storage` event, which rescans.
        Message::Changed => page.changed(),
        Message::Leader => resend_waiting(tabs),
        // Meant for a tab of another build.
        Message::Unspoken { .. } => {}
    }
}

/// Whether `outcome` is a refusal for room while storage is far from full.
/// Firefox, with several tabs of the origin open, now and then refuses a
/// write (QuotaExceededError) that it takes in a later task.
fn refused_for_room_by_chance(page: &BrowserLedger, outcome: &Result<AccountState, LedgerError>) -> bool {
    matches!(outcome, Err(LedgerError::Store(StoreError::Full)))
        && page.with(|ledger| Ok(ledger.far_from_full())).unwrap_or(false)
}

/// Runs `request` in this tab, which writes; a refusal for room far from
/// the quota is tried again a few times, a few ms apart (see
/// [`refused_for_room_by_chance`]).
async fn run_here(page: &BrowserLedger, request: &CommandRequest) -> Result<AccountState, LedgerError> {
    const TRIES: u32 = 5;
    // A command that comes while another call has the ledger (one nested
    // inside it) waits for that call to end, a task at a time, up to
    // this long by the clock (a hidden tab's timers may be slowed to one a
    // second); only then is it refused as busy.
    const BUSY_WAIT_MS: f64 = 5_000.0;
    let started = js_sys::Date::now();
    while page.is_busy() && js_sys::Date::now() - started < BUSY_WAIT_MS {
        sleep(1).await;
    }
    let mut tries = 1;
    loop {
        let outcome = page.with(|ledger| ledger.execute(request));
        if tries < TRIES && refused_for_room_by_chance(page, &outcome) {
            tries += 1;
            sleep(5).await;
            continue;
        }
        // A full storage changes what the storage meter says, too.
        if matches!(outcome, Ok(_) | Err(LedgerError::Store(StoreError::Full))) {
            announce_change(page);
        }
        return outcome;
    }
}
