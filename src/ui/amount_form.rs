//! Deposit to or withdraw from the selected account.

use leptos::prelude::*;

use leptos::task::spawn_local;

use super::field::Field;
use super::state::{page_ledger, Ui};
use crate::{new_command_id, AccountId, Command, CommandId, CommandRequest, DomainError, LedgerError, Money};

#[derive(Clone, Copy)]
enum Action {
    Deposit,
    Withdraw,
}

/// An amount and two buttons: Deposit and Withdraw.
#[component]
pub fn AmountForm(
    /// The page's state: a done command's new state is shown at once.
    ui: Ui,
    /// The account the commands go to.
    id: AccountId,
    /// While looking at an earlier version: commands change now.
    #[prop(into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let ledger = page_ledger();
    let amount = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // A command whose outcome is unknown (the writing tab did not answer),
    // with its id: the same command sent again reuses the id, so a retry is
    // done at most once.
    let unsure = StoredValue::new(None::<(Command, CommandId)>);

    // A click while the last command is on its way does nothing (the
    // buttons are disabled), so a double click is one command.
    let busy = RwSignal::new(false);
    let act = move |action: Action, id: AccountId| {
        // Text that is not an amount is flagged at its field and never sent.
        let value = match Money::parse(&amount.get_untracked()) {
            Ok(value) => value,
            Err(problem) => return error.set(Some(problem.to_string())),
        };
        let command = match action {
            Action::Deposit => Command::Deposit { amount: value },
            Action::Withdraw => Command::Withdraw { amount: value },
        };
        let command_id = match unsure.get_value() {
            Some((before, command_id)) if before == command => command_id,
            _ => new_command_id(),
        };
        let ledger = match ledger.get() {
            Ok(ledger) => ledger,
            Err(problem) => return ui.reject(&problem),
        };
        busy.set(true);
        spawn_local(async move {
            let request = CommandRequest::new(id, command.clone()).with_command_id(Some(command_id.clone()));
            let outcome = ledger.execute(request).await;
            busy.try_set(false);
            unsure.try_set_value(None);
            match outcome {
                Ok(state) => {
                    amount.try_set(String::new());
                    ui.alert.try_set(None);
                    ui.apply(state);
                }
                // An amount the account's rules refuse (zero, past the maximum
                // balance) belongs at the field too; other rejections are alerts.
                Err(LedgerError::Domain(problem @ (DomainError::ZeroAmount | DomainError::BalanceLimitExceeded { .. }))) => {
                    error.try_set(Some(problem.to_string()));
                }
                Err(LedgerError::OutcomeUnknown { .. }) => {
                    let verb = match action {
                        Action::Deposit => "Deposit",
                        Action::Withdraw => "Withdraw",
                    };
                    unsure.try_set_value(Some((command, command_id)));
                    ui.alert.try_set(Some(format!(
                        "No answer from the tab that writes the ledger: this may or may not have been done. Click {verb} again to retry; it is done at most once."
                    )));
                }
                Err(problem) => ui.reject(&problem),
            }
        });
    };
    let deposit_id = id.clone();
    let withdraw_id = id;
    let blocked = move || disabled.get() || busy.get();

    view! {
        <form class="amount-form" on:submit=move |ev| ev.prevent_default()>
            <Field id="amount" label="Amount" value=amount error=error inputmode="decimal" placeholder="0.00"/>
            <div class="buttons">
                <button type="button" disabled=blocked on:click=move |_| act(Action::Deposit, deposit_id.clone())>
                    "Deposit"
                </button>
                <button type="button" disabled=blocked on:click=move |_| act(Action::Withdraw, withdraw_id.clone())>
                    "Withdraw"
                </button>
            </div>
        </form>
    }
}
