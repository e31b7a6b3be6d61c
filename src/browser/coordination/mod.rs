//! One writer for all the tabs of an origin.
//!
//! localStorage has no transactions, and each tab's renderer keeps its own
//! copy that learns of other tabs' writes a little later. Two tabs that both
//! write can therefore both decide against the same stale version and one
//! overwrites the other. So exactly one tab writes: the one holding the Web
//! Lock `ledger-writer` (the *leader*), a name every build keeps for good.
//! Its copy of localStorage is current, because nobody else writes. Every
//! other tab (a *follower*) sends its commands to the leader over the
//! BroadcastChannel `ledger-v1` and gets the result back. Each command
//! carries a command id, kept wherever the command finally runs, so a
//! follower can resend after a timeout (the leader closed, a message was
//! lost) without it being done twice; one that gets no answer at all says
//! so (`OutcomeUnknown`) rather than claim a failure. When the leader closes,
//! the lock passes to a waiting follower, which takes over once the old
//! leader's writes have all reached it (handover.rs).
//!
//! Messages carry their protocol number (core's ledger/wire.rs). A tab that
//! hears another protocol knows a tab of another build is open: the leader
//! answers that it does not speak it, and a follower that finds a newer
//! build open, or an older one writing, stops sending commands and asks for
//! a reload. Format 1 data is migrated by the leader only.
//!
//! Without the Web Locks API (an insecure context, an old browser), or when
//! the lock request fails, the tab that writes is the one holding a lease in
//! storage (lease.rs), and the others send it their commands the same way.
//! A tab whose role is still unknown refuses to write.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{new_command_id, notify_change, with_ledger};
use crate::{AccountId, AccountState, Command, CommandId, CommandRequest, Heard, LedgerError, StoreError, TabMessage as Message};

mod builds;
mod handover;
mod lease;

use builds::heard_other;
pub use builds::other_build;

/// The one lock of every build: two names would mean two writers.
const LOCK: &str = "ledger-writer";
/// Every build meets on this channel; its messages say their protocol.
const CHANNEL: &str = "ledger-v1";
/// How long a follower waits for the leader's answer before sending again.
const ANSWER_TIMEOUT_MS: i32 = 1_000;
const ATTEMPTS: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Unknown,
    Leader,
    Follower,
}

thread_local! {
    static ROLE: Cell<Role> = const { Cell::new(Role::Unknown) };
    static CHANNEL_HANDLE: RefCell<Option<web_sys::BroadcastChannel>> = const { RefCell::new(None) };
    static WAITING: RefCell<HashMap<String, js_sys::Function>> = RefCell::new(HashMap::new());
}

pub(super) fn role() -> Role {
    ROLE.with(Cell::get)
}

pub(super) fn post(message: &Message) {
    // Messages travel as text (core's ledger/wire.rs).
    let value = JsValue::from_str(&message.encode());
    CHANNEL_HANDLE.with(|channel| {
        if let Some(channel) = channel.borrow().as_ref() {
            let _ = channel.post_message(&value);
        }
    });
}

thread_local! {
    static ANNOUNCING: Cell<bool> = const { Cell::new(false) };
}

/// Tells this tab's listeners and the other tabs that the ledger changed:
/// once for a burst of commands, as soon as the burst lets the event loop
/// run (a script awaiting command after command would otherwise redraw the
/// page and message every tab for each one).
fn announce_change() {
    if ANNOUNCING.with(|a| a.replace(true)) {
        return;
    }
    let announce = Closure::once_into_js(|| {
        ANNOUNCING.with(|a| a.set(false));
        post(&Message::Changed);
        notify_change();
    });
    let scheduled = web_sys::window()
        .is_some_and(|window| window.set_timeout_with_callback_and_timeout_and_arguments_0(announce.unchecked_ref(), 0).is_ok());
    if !scheduled {
        ANNOUNCING.with(|a| a.set(false));
        post(&Message::Changed);
        notify_change();
    }
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Joins the channel and asks for the lead. Called once, when the ledger opens.
pub(super) fn start() {
    let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
        return write_by_lease();
    };
    let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
        if let Some(text) = event.data().as_string() {
            receive(&text);
        }
    });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    CHANNEL_HANDLE.with(|c| *c.borrow_mut() = Some(channel));

    let locks = web_sys::window()
        .map(|w| js_sys::Reflect::get(&w.navigator(), &"locks".into()).unwrap_or(JsValue::UNDEFINED))
        .filter(|locks| !locks.is_undefined());
    let Some(locks) = locks else {
        return write_by_lease();
    };
    // First ask without waiting, to learn at once whether another tab leads;
    // if one does, queue for the lock and take over when it is released.
    let at_once = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&at_once, &"ifAvailable".into(), &JsValue::TRUE);
    let queued_locks = locks.clone();
    let first = Closure::<dyn FnMut(JsValue) -> js_sys::Promise>::new(move |lock: JsValue| {
        if lock.is_null() {
            ROLE.with(|r| r.set(Role::Follower));
            let later = Closure::<dyn FnMut(JsValue) -> js_sys::Promise>::new(|_lock: JsValue| {
                wasm_bindgen_futures::spawn_local(take_over(true));
                hold_forever()
            });
            request_lock(&queued_locks, &js_sys::Object::new(), &later);
            later.forget();
            js_sys::Promise::resolve(&JsValue::UNDEFINED)
        } else {
            wasm_bindgen_futures::spawn_local(take_over(false));
            hold_forever()
        }
    });
    request_lock(&locks, &at_once, &first);
    first.forget();
}

/// Without Web Locks, the tab that writes is the one holding the lease
/// (lease.rs).
fn write_by_lease() {
    lease::start(|| wasm_bindgen_futures::spawn_local(take_over(true)), || ROLE.with(|r| r.set(Role::Follower)));
}

/// The lock is held for as long as this promise is pending: the page's life.
fn hold_forever() -> js_sys::Promise {
    js_sys::Promise::new(&mut |_, _| {})
}

fn request_lock(locks: &JsValue, options: &js_sys::Object, callback: &Closure<dyn FnMut(JsValue) -> js_sys::Promise>) {
    let request = js_sys::Reflect::get(locks, &"request".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let requested =
        request.and_then(|request| request.call3(locks, &LOCK.into(), options, callback.as_ref().unchecked_ref()).ok());
    match requested.and_then(|p| p.dyn_into::<js_sys::Promise>().ok()) {
        // A request the browser refuses (a sandboxed frame, a security
        // policy) falls back to the lease.
        Some(promise) => {
            let refused = Closure::<dyn FnMut(JsValue)>::new(|_| write_by_lease());
            let _ = promise.catch(&refused);
            refused.forget();
        }
        None => write_by_lease(),
    }
}

/// Becomes the tab that writes: once the last writer's writes have all
/// arrived (handover.rs), with everything cached read afresh, format 1 data
/// migrated, and (`announce`) the other tabs told to resend to this one.
async fn take_over(announce: bool) {
    let Ok(mut kv) = super::LocalStorageKv::open() else {
        ROLE.with(|r| r.set(Role::Leader));
        return;
    };
    handover::settle(&kv).await;
    handover::open(&mut kv, new_command_id().as_str());
    if let Err(error) = with_ledger(|ledger| ledger.become_writer()) {
        web_sys::console::warn_1(&format!("format 1 data was not migrated yet: {error}").into());
    }
    ROLE.with(|r| r.set(Role::Leader));
    if announce {
        post(&Message::Leader);
    }
    // Requests this tab sent to the old leader are answered here now.
    resend_waiting();
    notify_change();
}

fn receive(text: &str) {
    let message = match Message::hear(text) {
        Some(Heard::Message(message)) => message,
        Some(Heard::OtherProtocol { protocol, from_writer }) => return heard_other(protocol, from_writer),
        None => return,
    };
    match message {
        Message::Command { request, account, command, command_id } => {
            // Unanswered, a command is sent again, to whichever tab writes.
            if role() != Role::Leader || (lease::active() && !lease::still_mine()) {
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = run_here(&account, &command, Some(&command_id)).await;
                post(&Message::Answer { request, outcome });
            });
        }
        Message::Answer { request, .. } => {
            // The waiting call decodes the answer again; a JS string is
            // what travels through its promise.
            if let Some(resolve) = WAITING.with(|w| w.borrow_mut().remove(request.as_str())) {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(text));
            }
        }
        // New events show on the next read; a new account comes with a
        // `storage` event, which rescans (see `on_storage_event`).
        Message::Changed => notify_change(),
        Message::Leader => resend_waiting(),
        // Meant for a tab of another build.
        Message::Unspoken { .. } => {}
    }
}

/// Wakes every waiting request with "no answer", so each is sent again.
fn resend_waiting() {
    let waiting: Vec<js_sys::Function> = WAITING.with(|w| w.borrow_mut().drain().map(|(_, f)| f).collect());
    for resolve in waiting {
        let _ = resolve.call1(&JsValue::NULL, &JsValue::UNDEFINED);
    }
}

/// The leader's answer to `request`, or `None` after `timeout_ms`.
async fn answer(request: &str, timeout_ms: i32) -> Option<Result<AccountState, LedgerError>> {
    let answered = js_sys::Promise::new(&mut |resolve, _| {
        WAITING.with(|w| w.borrow_mut().insert(request.to_owned(), resolve));
    });
    let timeout = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, timeout_ms);
        }
    });
    let first = JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(&answered, &timeout))).await.ok();
    WAITING.with(|w| w.borrow_mut().remove(request));
    match Message::decode(&first?.as_string()?)? {
        Message::Answer { outcome, .. } => Some(outcome),
        Message::Command { .. } | Message::Changed | Message::Leader | Message::Unspoken { .. } => None,
    }
}

/// Runs `change` (an import) on the ledger, which only the writing tab may
/// do; another tab is refused rather than forwarding a whole file.
pub fn change_here<T>(change: impl FnOnce(&mut super::BrowserLedger) -> Result<T, LedgerError>) -> Result<T, LedgerError> {
    with_ledger(|_| Ok(()))?;
    if role() == Role::Follower {
        let reason = "another tab of this ledger writes it: do this there, or close the other tabs".to_owned();
        return Err(StoreError::Unavailable { reason }.into());
    }
    let outcome = with_ledger(change);
    announce_change();
    outcome
}

/// Runs `command` here and now if this tab is known to be the one that
/// writes; `None` otherwise (then [`execute`] finds the writer).
pub fn execute_here(
    id: &AccountId,
    command: &Command,
    command_id: Option<&CommandId>,
) -> Option<Result<AccountState, LedgerError>> {
    if role() != Role::Leader || (lease::active() && !lease::still_mine()) {
        return None;
    }
    let outcome = with_ledger(|ledger| {
        ledger.execute(&CommandRequest::new(id.clone(), command.clone()).with_command_id(command_id.cloned()))
    });
    if refused_for_room_by_chance(&outcome) {
        // [`execute`] tries it again a moment later.
        return None;
    }
    // A full storage changes what the storage meter says, too.
    if matches!(outcome, Ok(_) | Err(LedgerError::Store(StoreError::Full))) {
        announce_change();
    }
    Some(outcome)
}

/// Whether `outcome` is a refusal for room while storage is far from full.
/// Firefox, with several tabs of the origin open, now and then refuses a
/// write (QuotaExceededError) that it takes in a later task.
fn refused_for_room_by_chance(outcome: &Result<AccountState, LedgerError>) -> bool {
    matches!(outcome, Err(LedgerError::Store(StoreError::Full)))
        && with_ledger(|ledger| Ok(ledger.far_from_full())).unwrap_or(false)
}

/// Runs `command` in this tab, which writes; a refusal for room far from
/// the quota is tried again a few times, a few ms apart (see
/// [`refused_for_room_by_chance`]).
async fn run_here(id: &AccountId, command: &Command, command_id: Option<&CommandId>) -> Result<AccountState, LedgerError> {
    const TRIES: u32 = 5;
    let mut tries = 1;
    loop {
        let outcome = with_ledger(|ledger| {
            ledger.execute(&CommandRequest::new(id.clone(), command.clone()).with_command_id(command_id.cloned()))
        });
        if tries < TRIES && refused_for_room_by_chance(&outcome) {
            tries += 1;
            sleep(5).await;
            continue;
        }
        // A full storage changes what the storage meter says, too.
        if matches!(outcome, Ok(_) | Err(LedgerError::Store(StoreError::Full))) {
            announce_change();
        }
        return outcome;
    }
}

/// Runs `command` on account `id` in the tab that writes, and returns the
/// account's new state. A conflict with another tab never reaches the caller:
/// the leader retries it; a lost leader means sending again, done once
/// thanks to the command id, which the command keeps wherever it runs (one
/// is made when the caller gave none). No answer at all is `OutcomeUnknown`:
/// send it again with the same command id.
pub async fn execute(id: AccountId, command: Command, command_id: Option<CommandId>) -> Result<AccountState, LedgerError> {
    // Opening the ledger starts the coordination; the role is known a moment
    // later (up to the hand-over's limit after a crash). Counted by the
    // clock: a hidden tab's timers may be slowed to one a second.
    with_ledger(|_| Ok(()))?;
    let start = js_sys::Date::now();
    while role() == Role::Unknown && js_sys::Date::now() - start < f64::from(handover::SETTLE_LIMIT_MS + 500) {
        sleep(5).await;
    }
    let command_id = command_id.unwrap_or_else(new_command_id);
    let request = new_command_id();
    for _ in 0..ATTEMPTS {
        match role() {
            // Found no longer holding the lease, this tab is a follower now.
            Role::Leader if lease::active() && !lease::still_mine() => continue,
            Role::Leader => return run_here(&id, &command, Some(&command_id)).await,
            Role::Unknown => {
                let reason = "this tab has not learnt yet whether it may write: try again in a moment".to_owned();
                return Err(StoreError::Unavailable { reason }.into());
            }
            Role::Follower => {}
        }
        if let Some(message) = other_build() {
            return Err(StoreError::Unavailable { reason: message.to_owned() }.into());
        }
        if CHANNEL_HANDLE.with(|c| c.borrow().is_none()) {
            let reason =
                "another tab writes this ledger, and this browser can't send it commands: use that tab, or close it".to_owned();
            return Err(StoreError::Unavailable { reason }.into());
        }
        post(&Message::Command {
            request: request.clone(),
            account: id.clone(),
            command: command.clone(),
            command_id: command_id.clone(),
        });
        if let Some(outcome) = answer(request.as_str(), ANSWER_TIMEOUT_MS).await {
            return outcome;
        }
    }
    Err(LedgerError::OutcomeUnknown { id, command_id })
}
