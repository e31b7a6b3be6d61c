//! Deposit to or withdraw from the selected account.

use leptos::prelude::*;

use super::field::Field;
use super::state::Ui;
use leptos::task::spawn_local;

use crate::browser::execute;
use crate::domain::{AccountId, Command, Money};

#[derive(Clone, Copy)]
enum Action {
    Deposit,
    Withdraw,
}

/// `disabled` while looking at an earlier version: commands change now.
#[component]
pub fn AmountForm(ui: Ui, id: AccountId, #[prop(into)] disabled: Signal<bool>) -> impl IntoView {
    let amount = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);

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
        busy.set(true);
        spawn_local(async move {
            let outcome = execute(id, command, None).await;
            busy.try_set(false);
            match outcome {
                Ok(_) => {
                    amount.try_set(String::new());
                    ui.alert.try_set(None);
                    ui.changed();
                }
                // An amount the account's rules refuse (zero, past the maximum
                // balance) belongs at the field too; other rejections are alerts.
                Err(problem) if problem.code() == "InvalidAmount" => {
                    error.try_set(Some(problem.to_string()));
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
