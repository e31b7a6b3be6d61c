//! The UI's state: a handful of signals every component gets as a prop,
//! holding what was last read from the ledger. Components render signals;
//! the ledger itself (the page's [`BrowserLedger`], in Leptos context) is
//! read in [`Ui::refresh`], once per change, and written by the forms,
//! whose commands answer with the new state ([`Ui::apply`]).

use leptos::prelude::*;

use crate::browser::{Persistence, SyncState, SyncStatus};
use crate::{
    AccountId, AccountState, BrowserLedger, LedgerError, Money, Overview, Rejection, StorageStatus, StoreError, Version,
};

/// The page's state. `Copy`: signals are handles.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    /// The account in the URL (`#/accounts/{id}`).
    pub selected: RwSignal<Option<AccountId>>,
    /// The version being looked at; `None` is now.
    pub travel: RwSignal<Option<Version>>,
    /// The last rejection, shown with `role="alert"`.
    pub alert: RwSignal<Option<String>>,
    /// Every account and the damage found, as last read.
    pub overview: RwSignal<Result<Overview, LedgerError>>,
    /// The selected account as last read: `None` when nothing is selected,
    /// `Some(Ok(None))` when the selected account does not exist.
    pub account: RwSignal<Option<Result<Option<Selected>, LedgerError>>>,
    /// How full storage is, as last read (`None`: the store has no limit).
    pub storage: RwSignal<Result<Option<StorageStatus>, LedgerError>>,
    /// What to tell the user about a tab of another build, as last read.
    pub other_build: RwSignal<Option<&'static str>>,
    /// Bumped by every refresh: the history table re-reads its page then.
    pub revision: RwSignal<u64>,
    /// Sync as last read.
    pub sync: RwSignal<SyncView>,
    /// Whether the browser keeps this origin's storage, as it last said.
    pub persistence: RwSignal<Persistence>,
}

/// What the page shows of sync.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncView {
    pub status: SyncStatus,
    /// Events waiting for the server, in every account.
    pub pending: usize,
    /// Commands the server's history refused, not dismissed yet.
    pub rejected: Vec<(AccountId, Rejection)>,
}

/// The selected account as of now: its state and its balance after each event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    pub state: AccountState,
    /// The last version the server confirmed; the ones after it are
    /// pending (all of them are confirmed without a server).
    pub confirmed: Version,
    /// `balances[i]` is the balance after version `i + 1`.
    pub balances: Vec<Money>,
}

impl Ui {
    pub fn new(selected: Option<AccountId>) -> Ui {
        Ui {
            selected: RwSignal::new(selected),
            travel: RwSignal::new(None),
            alert: RwSignal::new(None),
            overview: RwSignal::new(Ok(Overview::default())),
            account: RwSignal::new(None),
            storage: RwSignal::new(Ok(None)),
            other_build: RwSignal::new(None),
            revision: RwSignal::new(0),
            sync: RwSignal::new(SyncView::default()),
            persistence: RwSignal::new(Persistence::Unknown),
        }
    }

    /// Re-reads everything the page shows: after a change to the ledger,
    /// whoever made it. Safe to call after the page's components are gone.
    pub fn refresh(&self, ledger: &BrowserLedger) {
        let overview = ledger.with(|ledger| ledger.accounts());
        let storage = match &overview {
            Ok(overview) => ledger.with(|ledger| ledger.storage_status_of(overview)),
            Err(error) => Err(error.clone()),
        };
        self.overview.try_set(overview);
        self.storage.try_set(storage);
        self.refresh_selected(ledger);
        self.other_build.try_set(ledger.other_build());
        if self.persistence.try_get_untracked() != Some(ledger.persistence()) {
            self.persistence.try_set(ledger.persistence());
        }
        let sync = SyncView { status: ledger.sync_status(), pending: ledger.pending_total(), rejected: rejected(ledger) };
        if self.sync.try_with_untracked(|now| *now != sync) == Some(true) {
            self.sync.try_set(sync);
        }
        self.revision.try_update(|r| *r += 1);
    }

    /// Re-reads the selected account: when the selection changes.
    pub fn refresh_selected(&self, ledger: &BrowserLedger) {
        let Some(id) = self.selected.get_untracked() else {
            self.account.try_set(None);
            return;
        };
        let read = ledger.with(|ledger| {
            let Some(state) = ledger.account(&id)? else { return Ok(None) };
            let balances = ledger.balances(&id)?;
            let confirmed = ledger.store().confirmed_version(&id, state.version)?;
            Ok(Some(Selected { state, confirmed, balances }))
        });
        // Events are never changed, so the same state at the same version
        // with as many balances is the same account: nothing to redraw (a
        // command's own answer is often shown already).
        let same = self.account.try_with_untracked(|now| match (now, &read) {
            (Some(Ok(Some(now))), Ok(Some(read))) => {
                now.state == read.state && now.confirmed == read.confirmed && now.balances == read.balances
            }
            _ => false,
        });
        if same != Some(true) {
            self.account.try_set(Some(read));
        }
    }

    /// Shows the state a command answered with at once, on the selected
    /// account; the refresh that the command's change announcement brings
    /// follows, for the rest of the page.
    pub fn apply(&self, state: AccountState) {
        // Without a server every event is confirmed as it is stored.
        let local = self.sync.try_with_untracked(|sync| sync.status.state == SyncState::Off).unwrap_or(true);
        self.account.try_update(|account| {
            if let Some(Ok(Some(selected))) = account {
                if selected.state.id == state.id && state.version == selected.state.version.next() {
                    selected.balances.push(state.balance);
                    if local {
                        selected.confirmed = state.version;
                    }
                    selected.state = state;
                }
            }
        });
    }

    /// Shows `id` and puts it in the URL, so a reload or a shared link keeps it.
    pub fn select(&self, id: AccountId, ledger: &BrowserLedger) {
        if let Some(location) = web_sys::window().map(|w| w.location()) {
            let _ = location.set_hash(&hash_for(&id));
        }
        self.travel.try_set(None);
        self.selected.try_set(Some(id));
        self.refresh_selected(ledger);
    }

    pub fn reject(&self, error: &LedgerError) {
        self.alert.try_set(Some(super::messages::rejection(error)));
    }
}

/// Every rejection in the pending logs, by account.
fn rejected(ledger: &BrowserLedger) -> Vec<(AccountId, Rejection)> {
    ledger
        .with(|ledger| {
            let store = ledger.store();
            let mut out = Vec::new();
            for account in store.logged()?.0 {
                out.extend(store.log(&account)?.rejected.iter().map(|r| (account.clone(), r.clone())));
            }
            Ok(out)
        })
        .unwrap_or_default()
}

/// How `App` gives the page's ledger to components: a handle in Leptos
/// context (the ledger is not `Send`, so it is kept as a local value).
pub type LedgerContext = StoredValue<BrowserLedger, LocalStorage>;

/// The page's ledger as a component finds it in context: a `Copy` handle
/// for its closures.
#[derive(Clone, Copy, Debug)]
pub struct PageLedger(Option<LedgerContext>);

impl PageLedger {
    pub fn get(self) -> Result<BrowserLedger, LedgerError> {
        self.0
            .and_then(|context| context.try_get_value())
            .ok_or_else(|| StoreError::Unavailable { reason: "the page's ledger is not open".into() }.into())
    }
}

/// The page's ledger, from the context `App` provides; call while the
/// component is made.
pub fn page_ledger() -> PageLedger {
    PageLedger(use_context::<LedgerContext>())
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
