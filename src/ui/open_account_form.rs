//! The form that opens an account.

use leptos::prelude::*;

use super::field::Field;
use super::format::{money, numbers};
use super::messages;
use super::sender::Sender;
use super::state::Ui;
use crate::{AccountId, Command, CommandRequest, LedgerError, Money, Owner};

/// An account id, an owner and an initial balance, each checked at its
/// field; the new account is selected once it is open.
#[component]
pub fn OpenAccountForm(
    /// The page's state: the new account is shown and selected.
    ui: Ui,
) -> impl IntoView {
    let id = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let balance = RwSignal::new(String::new());
    let id_error = RwSignal::new(None::<String>);
    let owner_error = RwSignal::new(None::<String>);
    let balance_error = RwSignal::new(None::<String>);
    let sender = Sender::new(ui);

    let submit = move || {
        let parsed_id = AccountId::parse(id.get_untracked().trim());
        let parsed_owner = Owner::parse(&owner.get_untracked());
        let balance_text = balance.get_untracked();
        // An empty initial balance means opening with nothing.
        let parsed_balance = if balance_text.trim().is_empty() { Ok(Money::ZERO) } else { numbers().parse(&balance_text) };
        id_error.set(parsed_id.as_ref().err().map(ToString::to_string));
        owner_error.set(parsed_owner.as_ref().err().map(ToString::to_string));
        balance_error.set(parsed_balance.as_ref().err().map(messages::amount));
        let (Ok(account), Ok(owner_name), Ok(initial_balance)) = (parsed_id, parsed_owner, parsed_balance) else {
            return;
        };
        let command = Command::open(owner_name, initial_balance);
        sender.send(CommandRequest::new(account.clone(), command), move |outcome, ledger| match outcome {
            Ok(_) => {
                id.try_set(String::new());
                owner.try_set(String::new());
                balance.try_set(String::new());
                ui.select(account, ledger);
            }
            Err(LedgerError::OutcomeUnknown { .. }) => {
                ui.alert.try_set(Some(
                    "No answer from the tab that writes the ledger: the account may or may not have been opened. Click Open account again to retry; it is done at most once.".to_owned(),
                ));
            }
            Err(error) => ui.reject(&error),
        });
    };

    view! {
        <form
            class="card open-account"
            aria-labelledby="open-account-title"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <h2 id="open-account-title">"Open an account"</h2>
            <Field id="open-id" label="Account ID" value=id error=id_error placeholder="acc-001"/>
            <Field id="open-owner" label="Owner" value=owner error=owner_error placeholder="Alice"/>
            <Field
                id="open-balance"
                label="Initial balance"
                value=balance
                error=balance_error
                inputmode="decimal"
                placeholder=money(Money::ZERO)
            />
            <button type="submit" disabled=move || sender.busy.get()>"Open account"</button>
        </form>
    }
}
