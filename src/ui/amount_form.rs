//! Deposit to or withdraw from the selected account.

use leptos::prelude::*;

use super::field::Field;
use super::format::{money, numbers};
use super::messages;
use super::sender::Sender;
use super::state::Ui;
use crate::{AccountId, Command, CommandRequest, DomainError, LedgerError, Money};

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
    let amount = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let sender = Sender::new(ui);
    let act = move |action: Action, id: AccountId| {
        // Text that is not an amount is flagged at its field and never sent.
        let value = match numbers().parse(&amount.get_untracked()) {
            Ok(value) => value,
            Err(problem) => return error.set(Some(messages::amount(&problem))),
        };
        let (command, verb) = match action {
            Action::Deposit => (Command::deposit(value), "Deposit"),
            Action::Withdraw => (Command::withdraw(value), "Withdraw"),
        };
        sender.send(CommandRequest::new(id, command), move |outcome, _| match outcome {
            Ok(_) => {
                amount.try_set(String::new());
            }
            // An amount the account's rules refuse (zero, past the maximum
            // balance) belongs at the field too; other rejections are alerts.
            Err(LedgerError::Domain(problem @ (DomainError::ZeroAmount | DomainError::BalanceLimitExceeded { .. }))) => {
                error.try_set(Some(messages::domain(&problem)));
            }
            Err(LedgerError::OutcomeUnknown { .. }) => {
                ui.alert.try_set(Some(format!(
                    "No answer from the tab that writes the ledger: this may or may not have been done. Click {verb} again to retry; it is done at most once."
                )));
            }
            Err(problem) => ui.reject(&problem),
        });
    };
    let deposit_id = id.clone();
    let withdraw_id = id;
    let blocked = move || disabled.get() || sender.busy.get();

    view! {
        <form class="amount-form" on:submit=move |ev| ev.prevent_default()>
            <Field id="amount" label="Amount" value=amount error=error inputmode="decimal" placeholder=money(Money::ZERO)/>
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
