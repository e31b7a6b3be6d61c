//! The requests this tab sent to the writing tab and waits on: each is
//! woken by the answer, by a new writing tab (to send it again), or by its
//! timeout.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::tabs::Tabs;
use super::wire::TabMessage as Message;
use crate::{AccountState, LedgerError};

impl Tabs {
    /// What wakes the request `request`, no longer waited on.
    pub(super) fn take_waiting(&self, request: &str) -> Option<js_sys::Function> {
        let mut waiting = self.waiting.borrow_mut();
        let at = waiting.iter().position(|(id, _)| id == request)?;
        Some(waiting.swap_remove(at).1)
    }
}

/// Wakes every waiting request with "no answer", so each is sent again.
pub(super) fn resend_waiting(tabs: &Tabs) {
    let waiting: Vec<js_sys::Function> = tabs.waiting.borrow_mut().drain(..).map(|(_, f)| f).collect();
    for resolve in waiting {
        let _ = resolve.call1(&JsValue::NULL, &JsValue::UNDEFINED);
    }
}

/// The leader's answer to `request`, or `None` after `timeout_ms`.
pub(super) async fn answer(tabs: &Tabs, request: &str, timeout_ms: i32) -> Option<Result<AccountState, LedgerError>> {
    let answered = js_sys::Promise::new(&mut |resolve, _| {
        tabs.waiting.borrow_mut().push((request.to_owned(), resolve));
    });
    let timeout = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, timeout_ms);
        }
    });
    let first = JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(&answered, &timeout))).await.ok();
    tabs.take_waiting(request);
    match Message::decode(&first?.as_string()?)? {
        Message::Answer { outcome, .. } => Some(outcome),
        Message::Command { .. } | Message::Changed | Message::Leader | Message::Unspoken { .. } => None,
    }
}
