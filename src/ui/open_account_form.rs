//! The form that opens an account.

use leptos::prelude::*;

use super::field::Field;
use super::state::Ui;
use leptos::task::spawn_local;

use crate::browser::execute;
use crate::domain::{AccountId, Command, Money, Owner};

#[component]
pub fn OpenAccountForm(ui: Ui) -> impl IntoView {
    let id = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let balance = RwSignal::new(String::new());
    let id_error = RwSignal::new(None::<String>);
    let owner_error = RwSignal::new(None::<String>);
    let balance_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

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
        busy.set(true);
        spawn_local(async move {
            let outcome = execute(account.clone(), command, None).await;
            busy.try_set(false);
            match outcome {
                Ok(_) => {
                    id.try_set(String::new());
                    owner.try_set(String::new());
                    balance.try_set(String::new());
                    ui.alert.try_set(None);
                    ui.select(account);
                    ui.changed();
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
