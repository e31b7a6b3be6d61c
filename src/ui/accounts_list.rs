//! Every account (the CQRS read model), their total, and damaged data.

use leptos::prelude::*;

use super::format::{cents, money};
use super::state::{hash_for, Ui};
use crate::Money;

/// Every account with its owner and balance, linked to its page, the
/// total, and the stored data that can't be read.
#[component]
pub fn AccountsList(
    /// The page's state: the overview shown, the selection marked.
    ui: Ui,
) -> impl IntoView {
    view! {
        <section class="card accounts" aria-labelledby="accounts-title">
            <h2 id="accounts-title">"Accounts"</h2>
            {move || match ui.overview.get() {
                Err(error) => view! { <p class="damaged">{format!("The accounts can't be read: {error}")}</p> }.into_any(),
                Ok(overview) if overview.accounts.accounts.is_empty() && overview.damaged.is_empty() => {
                    view! { <p class="muted">"No accounts yet."</p> }.into_any()
                }
                Ok(overview) => {
                    let total = overview.accounts.total_cents();
                    let rows = overview.accounts.accounts;
                    let damaged = overview.damaged;
                    view! {
                        // A table, or a card per account where it is narrow
                        // (see the history table for why the roles and
                        // data-label).
                        <div class="account-rows cards">
                            <table role="table" aria-labelledby="accounts-title">
                                <thead role="rowgroup">
                                    <tr role="row">
                                        <th scope="col" role="columnheader">"Account"</th>
                                        <th scope="col" role="columnheader">"Owner"</th>
                                        <th scope="col" role="columnheader" class="num">"Balance"</th>
                                    </tr>
                                </thead>
                                <tbody role="rowgroup">
                                    {rows
                                        .into_iter()
                                        .map(|account| {
                                            let id = account.id.clone();
                                            let current = move || {
                                                (ui.selected.get().as_ref() == Some(&id)).then_some("page")
                                            };
                                            view! {
                                                <tr role="row">
                                                    <td role="cell" data-label="Account">
                                                        <a href=hash_for(&account.id) aria-current=current>
                                                            {account.id.to_string()}
                                                        </a>
                                                    </td>
                                                    <td role="cell" class="wrap" data-label="Owner"><bdi>{account.owner.to_string()}</bdi></td>
                                                    <td role="cell" class="num" data-label="Balance">{money(account.balance)}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                                <tfoot role="rowgroup">
                                    <tr role="row">
                                        <th scope="row" role="rowheader" colspan="2">"Total"</th>
                                        <td role="cell" class="num total">{total_text(total)}</td>
                                    </tr>
                                </tfoot>
                            </table>
                        </div>
                        {(!damaged.is_empty()).then(|| view! {
                            <div class="damaged">
                                <h3>"Damaged data"</h3>
                                <p>"These stored values can't be read. They are left exactly as they are."</p>
                                <ul>
                                    {damaged
                                        .into_iter()
                                        .map(|d| view! { <li><code>{d.key}</code>": "{d.reason}</li> })
                                        .collect_view()}
                                </ul>
                            </div>
                        })}
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// The total of all balances; it may exceed what one `Money` holds.
fn total_text(total: u128) -> String {
    match u64::try_from(total).ok().and_then(Money::from_cents) {
        Some(total) => money(total),
        None => cents(total),
    }
}
