//! How a form sends its commands: one at a time, and a command sent again
//! after an unknown outcome (the writing tab did not answer) under the same
//! command id, so that a retry is done at most once.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::state::{page_ledger, PageLedger, Ui};
use crate::{new_command_id, AccountState, BrowserLedger, CommandRequest, LedgerError};

/// A form's line to the ledger. `Copy`: signals and handles.
#[derive(Clone, Copy, Debug)]
pub struct Sender {
    /// A command is on its way: the form's buttons are disabled, so a
    /// double click is one command.
    pub busy: RwSignal<bool>,
    /// The last command whose outcome is unknown, with its command id.
    unsure: StoredValue<Option<CommandRequest>>,
    ledger: PageLedger,
    ui: Ui,
}

impl Sender {
    /// Call while the form's component is made.
    pub fn new(ui: Ui) -> Sender {
        Sender { busy: RwSignal::new(false), unsure: StoredValue::new(None), ledger: page_ledger(), ui }
    }

    /// Sends `request` (its command id is set here); on success the page
    /// shows the new state at once. `done` gets the outcome and the ledger.
    pub fn send(self, request: CommandRequest, done: impl FnOnce(Result<AccountState, LedgerError>, &BrowserLedger) + 'static) {
        let command_id = match self.unsure.get_value() {
            Some(before) if before.account == request.account && before.command == request.command => before.command_id,
            _ => Some(new_command_id()),
        };
        let request = request.with_command_id(command_id);
        let ledger = match self.ledger.get() {
            Ok(ledger) => ledger,
            Err(problem) => return self.ui.reject(&problem),
        };
        self.busy.set(true);
        spawn_local(async move {
            let outcome = ledger.execute(request.clone()).await;
            self.busy.try_set(false);
            let unknown = matches!(outcome, Err(LedgerError::OutcomeUnknown { .. }));
            self.unsure.try_set_value(unknown.then_some(request));
            if let Ok(state) = &outcome {
                self.ui.alert.try_set(None);
                self.ui.apply(state.clone());
            }
            done(outcome, &ledger);
        });
    }
}
