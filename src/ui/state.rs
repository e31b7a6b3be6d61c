//! The UI's shared state: a handful of signals every component gets as a
//! prop, and the reads of the ledger they derive from.

use leptos::prelude::*;

use crate::browser::with_ledger;
use crate::{AccountId, AccountState, LedgerError, Money, Overview};

/// The page's state. `Copy`: signals are handles.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    /// Bumped after every change to the ledger, whoever made it.
    pub revision: RwSignal<u64>,
    /// The account in the URL (`#/accounts/{id}`).
    pub selected: RwSignal<Option<AccountId>>,
    /// The version being looked at; `None` is now.
    pub travel: RwSignal<Option<u64>>,
    /// The last rejection, shown with `role="alert"`.
    pub alert: RwSignal<Option<String>>,
}

impl Ui {
    pub fn new(selected: Option<AccountId>) -> Ui {
        Ui {
            revision: RwSignal::new(0),
            selected: RwSignal::new(selected),
            travel: RwSignal::new(None),
            alert: RwSignal::new(None),
        }
    }

    /// The ledger changed: re-read what is shown. Safe to call after the
    /// page's components are gone.
    pub fn changed(&self) {
        self.revision.try_update(|r| *r += 1);
    }

    /// Shows `id` and puts it in the URL, so a reload or a shared link keeps it.
    pub fn select(&self, id: AccountId) {
        if let Some(location) = web_sys::window().map(|w| w.location()) {
            let _ = location.set_hash(&hash_for(&id));
        }
        self.travel.try_set(None);
        self.selected.try_set(Some(id));
    }

    pub fn reject(&self, error: &LedgerError) {
        self.alert.try_set(Some(error.to_string()));
    }
}

/// The URL fragment of an account's page.
pub fn hash_for(id: &AccountId) -> String {
    format!("#/accounts/{id}")
}

/// The account a URL fragment names, if it names a valid one.
pub fn account_from_hash(hash: &str) -> Option<AccountId> {
    let id = hash.strip_prefix('#').unwrap_or(hash).strip_prefix("/accounts/")?;
    AccountId::parse(id).ok()
}

/// The selected account as of now: its state and its balance after each event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    pub state: AccountState,
    pub balances: Vec<Money>,
}

/// Every account and the damage found, re-read on every change.
pub fn overview(ui: Ui) -> Memo<Result<Overview, LedgerError>> {
    Memo::new(move |_| {
        ui.revision.track();
        with_ledger(|ledger| ledger.accounts())
    })
}

/// The selected account, re-read on every change: `None` when nothing is
/// selected, `Some(Ok(None))` when the selected account does not exist.
pub fn selected(ui: Ui) -> Memo<Option<Result<Option<Selected>, LedgerError>>> {
    Memo::new(move |_| {
        ui.revision.track();
        let id = ui.selected.get()?;
        Some(with_ledger(|ledger| {
            let Some(state) = ledger.account(&id)? else { return Ok(None) };
            let balances = ledger.balances(&id)?;
            Ok(Some(Selected { state, balances }))
        }))
    })
}
