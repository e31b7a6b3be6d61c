//! The selected account's events, newest first, a page at a time: a page
//! reads only its own records, so 10,000 events cost what 20 do.

use leptos::prelude::*;

use super::format::{count, event, money, time};
use super::state::{page_ledger, Ui};
use crate::browser::SyncRequest;
use crate::{AccountId, BrowserLedger, Envelope, EventId, LedgerError, Money, Version};

const PAGE: u64 = 20;

/// An account's events up to a version, newest first, a page at a time.
#[component]
pub fn HistoryTable(
    /// The page's state: a refresh re-reads the page shown.
    ui: Ui,
    /// The account whose events are shown.
    id: AccountId,
    /// The newest version shown: now, or the version travelled to.
    #[prop(into)]
    upto: Signal<Version>,
    /// `balances[i]` is the balance after version `i + 1`.
    #[prop(into)]
    balances: Signal<Vec<Money>>,
    /// The last version the server confirmed: the later ones are pending.
    confirmed: Version,
) -> impl IntoView {
    let page = RwSignal::new(0u64);
    // A new point in time starts again at the newest page.
    Effect::new(move |_| {
        upto.track();
        page.set(0);
    });
    let pages = move || upto.get().get().div_ceil(PAGE).max(1);
    // Read when the page, the point in time or the ledger changes.
    let rows = RwSignal::new(Ok::<Vec<Envelope>, LedgerError>(Vec::new()));
    let ledger = page_ledger();
    let shown = id.clone();
    Effect::new(move |_| {
        ui.revision.track();
        let read = ledger.get().and_then(|ledger| read_page(&ledger, &shown, upto.get(), page.get()));
        // Confirmed events are never changed, pending ones may be decided
        // again: the same events (ids and hashes) are the same rows.
        let same = read.is_ok() && rows.with_untracked(|now| *now == read);
        if !same {
            rows.set(read);
        }
    });

    view! {
        <section class="history" aria-labelledby="history-title">
            <h3 id="history-title">"History"</h3>
            {move || match rows.get() {
                Err(error) => view! { <p class="damaged">{format!("The history can't be read: {error}")}</p> }.into_any(),
                // One table at every width, and no scroll region: nothing is
                // hidden off to the side. Where the history is narrow (a
                // container query on .events in style.css) each row is drawn
                // as a card and each cell shows its column's name. The roles
                // restate what the elements are, because a table whose rows
                // are displayed as blocks loses its table semantics in some
                // browsers: screen readers keep table navigation and read
                // each cell with its column header, and the visible name
                // (`data-label`, drawn by CSS with empty alternative text) is
                // not read a second time. A description list per event would
                // lose the header-per-column reading on wide screens.
                Ok(envelopes) => view! {
                    <div class="events cards">
                        <table role="table" aria-labelledby="history-title">
                            <thead role="rowgroup">
                                <tr role="row">
                                    <th scope="col" role="columnheader" class="num">"Version"</th>
                                    <th scope="col" role="columnheader">"Time"</th>
                                    <th scope="col" role="columnheader">"Event"</th>
                                    <th scope="col" role="columnheader">"What happened"</th>
                                    <th scope="col" role="columnheader" class="num">"Balance after"</th>
                                </tr>
                            </thead>
                            <tbody role="rowgroup">
                                {envelopes
                                    .into_iter()
                                    .map(|e| {
                                        let index = usize::try_from(e.version.get().saturating_sub(1)).unwrap_or(usize::MAX);
                                        let after = balances.with(|b| b.get(index).copied().map(money).unwrap_or_default());
                                        let is_pending = e.version > confirmed;
                                        let pending = is_pending.then(|| view! { <PendingMark ui id=id.clone() event=e.event_id.clone()/> });
                                        view! {
                                            <tr role="row" class:pending=is_pending>
                                                <td role="cell" class="num" data-label="Version">{count(e.version.get())}</td>
                                                <td role="cell" class="time" data-label="Time">{time(e.recorded_at)}</td>
                                                <td role="cell" data-label="Event">{e.event.kind()}</td>
                                                <td role="cell" class="wrap" data-label="What happened">{event(&e.event)}{pending}</td>
                                                <td role="cell" class="num" data-label="Balance after">{after}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any(),
            }}
            <nav class="pager" aria-label="History pages">
                <button type="button" class="quiet" disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>
                    "Newer"
                </button>
                <span>{move || format!("Page {} of {}", count(page.get() + 1), count(pages()))}</span>
                <button type="button" class="quiet" disabled=move || { page.get() + 1 >= pages() } on:click=move |_| page.update(|p| *p += 1)>
                    "Older"
                </button>
            </nav>
        </section>
    }
}

/// A pending event's mark: it waits for the server, and may be cancelled
/// until the server has it.
#[component]
fn PendingMark(ui: Ui, id: AccountId, event: EventId) -> impl IntoView {
    let ledger = page_ledger();
    let cancel = move |_| {
        let request = SyncRequest::Cancel { account: id.to_string(), event: event.to_string() };
        let outcome = ledger.get().map_err(|e| e.to_string()).and_then(|l| l.sync_request(request).map_err(|p| p.message));
        match outcome {
            Ok(()) => ui.alert.set(None),
            Err(message) => ui.alert.set(Some(format!("The command was not cancelled: {message}"))),
        }
    };
    view! {
        " "
        <span class="badge">"waiting for the server"</span>
        " "
        <button type="button" class="quiet small" on:click=cancel>"Cancel"</button>
    }
}

/// Page `page` (0 is the newest) of the events up to `upto`, newest first.
fn read_page(ledger: &BrowserLedger, id: &AccountId, upto: Version, page: u64) -> Result<Vec<Envelope>, LedgerError> {
    let newest = upto.get().saturating_sub(page * PAGE);
    let oldest = newest.saturating_sub(PAGE - 1).max(1);
    if newest == 0 {
        return Ok(Vec::new());
    }
    let count = usize::try_from(newest - oldest + 1).unwrap_or(0);
    let mut envelopes = ledger.with(|ledger| ledger.history_page(id, Version::new(oldest - 1), count))?;
    envelopes.reverse();
    Ok(envelopes)
}
