//! The form that opens an account.

use leptos::prelude::*;

use leptos::task::spawn_local;

use super::field::Field;
use super::state::{page_ledger, Ui};
use crate::{new_command_id, AccountId, Command, CommandId, CommandRequest, LedgerError, Money, Owner};

/// An account id, an owner and an initial balance, each checked at its
/// field; the new account is selected once it is open.
#[component]
pub fn OpenAccountForm(
    /// The page's state: the new account is shown and selected.
    ui: Ui,
) -> impl IntoView {
    let ledger = page_ledger();
    let id = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let balance = RwSignal::new(String::new());
    let id_error = RwSignal::new(None::<String>);
    let owner_error = RwSignal::new(None::<String>);
    let balance_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // As in the amount form: an account opening whose outcome is unknown is
    // retried under the same command id, so it is done at most once.
    let unsure = StoredValue::new(None::<(AccountId, Command, CommandId)>);

    let submit = move || {
        let parsed_id = AccountId::parse(id.get_untracked().trim());
        let parsed_owner = Owner::parse(&owner.get_untracked());
        let balance_text = balance.get_untracked();
        // An empty initial balance means opening with nothing.
        let parsed_balance = if balance_text.trim().is_empty() { Ok(Money::ZERO) } else { Money::parse(&balance_text) };
        id_error.set(parsed_id.as_ref().err().map(ToString::to_string));
        owner_error.set(parsed_owner.as_ref().err().map(ToString::to_string));
        balance_error.set(parsed_balance.as_ref().err().map(ToString::to_string));
        let (Ok(account), Ok(owner_name), Ok(initial_balance)) = (parsed_id, parsed_owner, parsed_balance) else {
            return;
        };
        let command = Command::OpenAccount { owner: owner_name, initial_balance };
        let command_id = match unsure.get_value() {
            Some((before, same, command_id)) if before == account && same == command => command_id,
            _ => new_command_id(),
        };
        let ledger = match ledger.get() {
            Ok(ledger) => ledger,
            Err(problem) => return ui.reject(&problem),
        };
        busy.set(true);
        spawn_local(async move {
            let request = CommandRequest::new(account.clone(), command.clone()).with_command_id(Some(command_id.clone()));
            let outcome = ledger.execute(request).await;
            busy.try_set(false);
            unsure.try_set_value(None);
            match outcome {
                Err(LedgerError::OutcomeUnknown { .. }) => {
                    unsure.try_set_value(Some((account, command, command_id)));
                    ui.alert.try_set(Some(
                        "No answer from the tab that writes the ledger: the account may or may not have been opened. Click Open account again to retry; it is done at most once.".to_owned(),
                    ));
                }
                Ok(state) => {
                    id.try_set(String::new());
                    owner.try_set(String::new());
                    balance.try_set(String::new());
                    ui.alert.try_set(None);
                    ui.apply(state);
                    ui.select(account, &ledger);
                }
                Err(error) => ui.reject(&error),
            }
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
                placeholder="0.00"
            />
            <button type="submit" disabled=move || busy.get()>"Open account"</button>
        </form>
    }
}
