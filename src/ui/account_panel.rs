//! The selected account: its state (now or as of a version), the amount
//! form, time travel, the chart and the history.

use leptos::prelude::*;

use super::amount_form::AmountForm;
use super::balance_chart::BalanceChart;
use super::download::{download, today};
use super::format::{count, money};
use super::history_table::HistoryTable;
use super::state::{page_ledger, Selected, Ui};
use super::time_travel::TimeTravel;
use crate::AccountId;

/// The selected account, a note that it does not exist or is damaged, or
/// a welcome when nothing is selected.
#[component]
pub fn AccountPanel(
    /// The page's state: the selected account as last read.
    ui: Ui,
) -> impl IntoView {
    view! {
        <section class="card account" aria-live="polite">
            {move || match (ui.selected.get(), ui.account.get()) {
                (Some(id), Some(Ok(Some(account)))) => view! { <Account ui id account/> }.into_any(),
                (Some(id), Some(Ok(None))) => view! {
                    <h2>{format!("No account {id}")}</h2>
                    <p>"There is no account with this id yet. Open it with the form."</p>
                }
                .into_any(),
                (Some(id), Some(Err(error))) => view! {
                    <h2>{format!("Account {id} is damaged")}</h2>
                    <p class="damaged">{error.to_string()}</p>
                    <p>"Its stored data was left exactly as it is. Every other account still works."</p>
                }
                .into_any(),
                _ => view! {
                    <h2>"Welcome"</h2>
                    <p>
                        "This ledger keeps bank accounts in your browser. Every deposit and withdrawal is
                        recorded as an event that is never changed, so you can look at any account as it
                        was at any point in its history."
                    </p>
                    <p>"Open an account to start, or pick one from the list."</p>
                }
                .into_any(),
            }}
        </section>
    }
}

/// One account: its state now or at the version travelled to, the amount
/// form, time travel, the chart, the history and the statement.
#[component]
fn Account(
    /// The page's state.
    ui: Ui,
    /// The account shown.
    id: AccountId,
    /// Its state and timeline as last read.
    account: Selected,
) -> impl IntoView {
    let Selected { state, confirmed, balances } = account;
    let now = state.version;
    let pending = now.get() - confirmed.get().min(now.get());
    let balances = Signal::stored(balances);
    let current = Signal::stored(now);
    let upto = Signal::derive(move || ui.travel.get().unwrap_or(now));
    // Time travel asks the ledger, which answers from its cached timeline.
    let ledger = page_ledger();
    let as_of = RwSignal::new(None);
    {
        let id = id.clone();
        Effect::new(move |_| {
            let travel = ui.travel.get();
            let read = |version| ledger.get().and_then(|ledger| ledger.with(|l| l.account_at(&id, version)));
            as_of.set(travel.map(read));
        });
    }
    let shown = move || match as_of.get() {
        None => Some(state.clone()),
        Some(Ok(past)) => past,
        Some(Err(_)) => None,
    };
    let chart_label = format!("Balance of {id} over time");
    let statement_id = id.clone();

    view! {
        <h2>{format!("Account {id}")}</h2>
        {move || match shown() {
            Some(s) => view! {
                <dl class="summary">
                    <div><dt>"Owner"</dt><dd class="owner"><bdi>{s.owner.to_string()}</bdi></dd></div>
                    <div><dt>"Balance"</dt><dd class="balance">{money(s.balance)}</dd></div>
                    <div><dt>"Version"</dt><dd class="version">{count(s.version.get())}</dd></div>
                </dl>
                <p class="pending-note" hidden=move || pending == 0 || ui.travel.get().is_some()>
                    {match pending {
                        1 => "1 of these events waits for the server: the balance counts it already.".to_owned(),
                        n => format!("{} of these events wait for the server: the balance counts them already.", count(n)),
                    }}
                </p>
            }
            .into_any(),
            None => view! { <p class="muted">"Before version 1 the account did not exist."</p> }.into_any(),
        }}
        <AmountForm ui id=id.clone() disabled=Signal::derive(move || ui.travel.get().is_some())/>
        <p class="muted" hidden=move || ui.travel.get().is_none()>
            "You are looking at the past. Go back to now to deposit or withdraw."
        </p>
        <TimeTravel ui current/>
        <BalanceChart ui id=id.clone() balances label=chart_label/>
        <HistoryTable ui id=id.clone() upto balances confirmed/>
        <button type="button" class="quiet" on:click=move |_| {
            let history = ledger.get().and_then(|ledger| ledger.with(|ledger| ledger.history(&statement_id)));
            let saved = history.map_err(|e| e.to_string()).and_then(|history| {
                let csv = crate::statement_csv(&statement_id, &history);
                download(&format!("statement-{statement_id}-{}.csv", today()), "text/csv", &csv)
            });
            if let Err(error) = saved {
                ui.alert.set(Some(error));
            }
        }>"Statement (CSV)"</button>
    }
}
