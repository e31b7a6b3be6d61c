//! Component tests: the real App mounted in a headless browser, driven
//! through the DOM as a person would (labels, buttons), asserted after
//! Leptos has rendered (`tick`).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use bank_ledger::js_api;
use bank_ledger::{App, BrowserLedger, LocalStorageKv, Money, Numbers};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh page: empty storage, no account in the URL, the App mounted.
struct Page {
    root: HtmlElement,
    _mounted: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

impl Drop for Page {
    fn drop(&mut self) {
        self.root.remove();
    }
}

async fn settle() {
    // Leptos renders on the microtask queue; commands run as spawned tasks,
    // and hashchange events arrive as tasks. A short timeout lets all run.
    for _ in 0..2 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10).unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
        leptos::task::tick().await;
    }
}

/// A fresh page whose numbers are written as in en-US.
async fn open_page(hash: &str) -> Page {
    open_page_in(hash, "en-US").await
}

/// A fresh page whose numbers are written as in `locale`.
async fn open_page_in(hash: &str, locale: &str) -> Page {
    Numbers::new(Some(locale)).use_on_page();
    LocalStorageKv::open().unwrap().raw().clear().unwrap();
    web_sys::window().unwrap().location().set_hash(hash).unwrap();
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let mounted = leptos::mount::mount_to(root.clone(), || App().into_any());
    settle().await;
    Page { root, _mounted: mounted }
}

impl Page {
    fn find(&self, selector: &str) -> Option<web_sys::Element> {
        self.root.query_selector(selector).unwrap()
    }

    fn text(&self, selector: &str) -> String {
        self.find(selector).map(|e| e.text_content().unwrap_or_default()).unwrap_or_default()
    }

    /// The input whose `<label>` reads `label`.
    fn input(&self, label: &str) -> HtmlInputElement {
        let labels = self.root.query_selector_all("label").unwrap();
        for i in 0..labels.length() {
            let element: web_sys::Element = labels.item(i).unwrap().unchecked_into();
            if element.text_content().as_deref() == Some(label) {
                let id = element.get_attribute("for").unwrap();
                return self.find(&format!("#{id}")).unwrap().unchecked_into();
            }
        }
        panic!("no input labelled {label:?}");
    }

    fn fill(&self, label: &str, value: &str) {
        let input = self.input(label);
        input.set_value(value);
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        input.dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap()).unwrap();
    }

    fn button(&self, name: &str) -> HtmlElement {
        let buttons = self.root.query_selector_all("button").unwrap();
        (0..buttons.length())
            .map(|i| buttons.item(i).unwrap().unchecked_into::<HtmlElement>())
            .find(|b| b.text_content().unwrap_or_default().trim() == name)
            .unwrap_or_else(|| panic!("no button {name:?}"))
    }

    async fn click(&self, name: &str) {
        self.button(name).click();
        settle().await;
    }

    async fn open(&self, id: &str, owner: &str, balance: &str) {
        self.fill("Account ID", id);
        self.fill("Owner", owner);
        self.fill("Initial balance", balance);
        self.click("Open account").await;
    }

    async fn amount(&self, value: &str, button: &str) {
        self.fill("Amount", value);
        self.click(button).await;
    }

    fn history_versions(&self) -> Vec<String> {
        let cells = self.root.query_selector_all(".history tbody tr td:first-child").unwrap();
        (0..cells.length()).map(|i| cells.item(i).unwrap().text_content().unwrap_or_default()).collect()
    }
}

#[wasm_bindgen_test]
async fn a_new_user_sees_a_welcome_and_the_open_form() {
    let page = open_page("").await;
    assert!(page.text("h2").contains("Open an account"));
    assert!(page.text(".account").contains("Welcome"));
    assert!(page.text(".accounts").contains("No accounts yet"));
}

#[wasm_bindgen_test]
async fn the_storage_line_is_a_live_region_inside_the_footer_not_the_footer_itself() {
    // A footer may not carry role=status (axe: aria-allowed-role).
    let page = open_page("").await;
    assert!(page.find("footer[role]").is_none());
    assert!(page.text("footer [role=status]").contains("Storage"));
}

#[wasm_bindgen_test]
async fn opening_an_account_selects_it_and_puts_it_in_the_url() {
    let page = open_page("").await;
    page.open("acc-001", "Alice", "1000").await;
    assert_eq!(page.text(".summary .owner"), "Alice");
    assert_eq!(page.text(".summary .balance"), "1,000.00");
    assert_eq!(page.text(".summary .version"), "1");
    assert_eq!(web_sys::window().unwrap().location().hash().unwrap(), "#/accounts/acc-001");
    assert_eq!(page.input("Account ID").value(), "", "the form is cleared");
}

#[wasm_bindgen_test]
async fn deposits_and_withdrawals_update_state_and_history() {
    let page = open_page("").await;
    page.open("acc-001", "Alice", "1000").await;
    page.amount("500", "Deposit").await;
    page.amount("200", "Withdraw").await;
    assert_eq!(page.text(".summary .balance"), "1,300.00");
    assert_eq!(page.text(".summary .version"), "3");
    assert_eq!(page.history_versions(), ["3", "2", "1"]);
    let newest = page.text(".history tbody tr:first-child");
    assert!(newest.contains("MoneyWithdrawn") && newest.contains("Withdrew 200.00") && newest.contains("1,300.00"), "{newest}");
    assert!(page.text(".accounts tfoot").contains("1,300.00"));
}

#[wasm_bindgen_test]
async fn a_rejection_is_shown_as_an_alert_and_stores_nothing() {
    let page = open_page("").await;
    page.open("acc-001", "Alice", "10").await;
    page.amount("10.01", "Withdraw").await;
    let alert = page.find("[role=alert]").expect("an alert");
    assert!(alert.text_content().unwrap().contains("Insufficient funds"));
    assert_eq!(page.text(".summary .version"), "1");
    page.open("acc-001", "Bob", "1").await;
    assert!(page.text("[role=alert]").contains("already exists"));
}

#[wasm_bindgen_test]
async fn an_invalid_amount_is_flagged_at_its_field_and_sends_nothing() {
    let page = open_page("").await;
    page.open("acc-001", "Alice", "10").await;
    for bad in ["12.345", "abc", "-5", "0"] {
        page.amount(bad, "Deposit").await;
        assert_eq!(page.input("Amount").get_attribute("aria-invalid").as_deref(), Some("true"), "{bad}");
        assert!(!page.text("#amount-error").is_empty(), "{bad}");
        assert!(page.find("[role=alert]").is_none(), "{bad}: no alert, the field says it");
    }
    assert_eq!(js_api::history(JsValue::from_str("acc-001")).map(|h| js_sys::Array::from(&h).length()).ok(), Some(1));
    page.fill("Amount", "1");
    settle().await;
    assert_eq!(page.input("Amount").get_attribute("aria-invalid"), None, "typing clears the flag");
}

#[wasm_bindgen_test]
async fn the_open_form_flags_each_bad_field() {
    let page = open_page("").await;
    page.open("bad id!", " ", "1.001").await;
    for field in ["#open-id-error", "#open-owner-error", "#open-balance-error"] {
        assert!(!page.text(field).is_empty(), "{field}");
    }
    assert!(page.text(".accounts").contains("No accounts yet"));
}

#[wasm_bindgen_test]
async fn time_travel_shows_any_earlier_version_and_comes_back() {
    let page = open_page("").await;
    page.open("acc-001", "Alice", "1000").await;
    page.amount("500", "Deposit").await;
    page.amount("200", "Withdraw").await;
    page.fill("Version", "1");
    settle().await;
    assert_eq!(page.text(".summary .balance"), "1,000.00");
    assert_eq!(page.text(".summary .version"), "1");
    assert_eq!(page.history_versions(), ["1"]);
    assert!(page.button("Deposit").has_attribute("disabled"), "no commands while in the past");
    assert!(page.find(".chart .marker").is_some());
    page.fill("Version", "0");
    settle().await;
    assert!(page.text(".account").contains("did not exist"));
    page.click("Back to now").await;
    assert_eq!(page.text(".summary .balance"), "1,300.00");
    assert_eq!(page.history_versions(), ["3", "2", "1"]);
}

#[wasm_bindgen_test]
async fn the_chart_draws_the_balance_over_time() {
    let page = open_page("").await;
    page.open("acc-001", "Alice", "100").await;
    page.amount("50", "Deposit").await;
    let points = page.find(".chart polyline").unwrap().get_attribute("points").unwrap();
    assert_eq!(points.split_whitespace().count(), 2, "{points}");
    assert!(page.find(".chart [role=slider] svg[aria-hidden=true]").is_some());
}

#[wasm_bindgen_test]
async fn a_hostile_owner_name_is_only_text() {
    let page = open_page("").await;
    let hostile = "<img src=x onerror=\"window.owned=1\">";
    page.open("acc-x", hostile, "1").await;
    assert_eq!(page.text(".summary .owner"), hostile);
    assert!(page.find("img").is_none());
    settle().await;
    assert!(js_sys::Reflect::get(&web_sys::window().unwrap(), &"owned".into()).unwrap().is_undefined());
}

#[wasm_bindgen_test]
async fn a_command_through_the_js_api_appears_live() {
    let page = open_page("#/accounts/acc-001").await;
    assert!(page.text(".account").contains("No account acc-001"));
    let open = js_sys::JSON::parse(r#"{"type":"OpenAccount","owner":"Alice","initial_balance":5}"#).unwrap();
    js_api::execute(JsValue::from_str("acc-001"), open).await.unwrap();
    settle().await;
    assert_eq!(page.text(".summary .balance"), "5.00");
    assert!(page.text(".accounts").contains("acc-001"));
}

#[wasm_bindgen_test]
async fn the_history_is_paged_newest_first() {
    let page = open_page("").await;
    page.open("long", "Lee", "0").await;
    let deposit = js_sys::JSON::parse(r#"{"type":"Deposit","amount":1}"#).unwrap();
    for _ in 1..45 {
        js_api::execute(JsValue::from_str("long"), deposit.clone()).await.unwrap();
    }
    settle().await;
    assert_eq!(page.text(".pager span"), "Page 1 of 3");
    assert_eq!(page.history_versions().len(), 20);
    assert_eq!(page.history_versions().first().map(String::as_str), Some("45"));
    page.click("Older").await;
    page.click("Older").await;
    assert_eq!(page.history_versions(), ["5", "4", "3", "2", "1"]);
    assert!(page.button("Older").has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn the_accounts_list_totals_and_selects() {
    let page = open_page("").await;
    page.open("a-1", "Ann", "10.50").await;
    page.open("b-2", "Ben", "1000").await;
    assert!(page.text(".accounts tfoot").contains("1,010.50"));
    let link: HtmlElement = page.find(".accounts a[href='#/accounts/a-1']").unwrap().unchecked_into();
    link.click();
    settle().await;
    assert_eq!(page.text(".summary .owner"), "Ann");
    assert_eq!(link.get_attribute("aria-current").as_deref(), Some("page"));
}

/// The left edge of character `at` of text node `node`, as laid out.
fn x_of(node: &web_sys::Node, at: u32) -> f64 {
    let range = document().create_range().unwrap();
    range.set_start(node, at).unwrap();
    range.set_end(node, at + 1).unwrap();
    range.get_bounding_client_rect().left()
}

#[wasm_bindgen_test]
async fn an_owner_with_a_direction_override_cannot_reorder_the_history_line() {
    use bank_ledger::{Event, ExpectedVersion, Money, Owner, Version};
    use bank_ledger::{EventId, EventStore, KvStore, NewEvent, Timestamp};
    // New names may not hold U+202E, but an earlier version stored one.
    let page = open_page("").await;
    let owner = "Eve\u{202e}";
    let event = Event::opened(Owner::from_stored(owner).unwrap(), Money::from_cents(1000).unwrap());
    let new = NewEvent { event_id: EventId::parse("e-1").unwrap(), recorded_at: Timestamp(1), command_id: None, event };
    let mut store = KvStore::new(LocalStorageKv::open().unwrap(), "ledger");
    store.append(&bank_ledger::AccountId::parse("rlo").unwrap(), ExpectedVersion(Version::EMPTY), vec![new]).unwrap();
    let ledger = BrowserLedger::page().unwrap();
    ledger
        .with(|ledger| {
            ledger.rescan();
            Ok(())
        })
        .unwrap();
    ledger.changed();
    web_sys::window().unwrap().location().set_hash("#/accounts/rlo").unwrap();
    settle().await;
    assert_eq!(page.text(".summary .owner bdi"), owner);
    assert_eq!(page.text(".accounts tbody bdi"), owner);
    let cell = page.find(".history tbody tr:first-child td.wrap").unwrap();
    assert_eq!(cell.text_content().unwrap(), format!("Opened for {owner} with 10.00"));
    assert_eq!(cell.query_selector("bdi").unwrap().unwrap().text_content().unwrap(), owner);
    // As laid out: "10.00" still reads left to right after the name.
    let nodes = cell.child_nodes();
    let amount = (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .find(|n| n.node_type() == web_sys::Node::TEXT_NODE && n.text_content().unwrap_or_default().contains("10.00"))
        .expect("the amount's text");
    let at = u32::try_from(amount.text_content().unwrap().find("10.00").unwrap()).unwrap();
    assert!(x_of(&amount, at) < x_of(&amount, at + 4), "the amount reads left to right");
    assert!(x_of(&amount, 0) > cell.query_selector("bdi").unwrap().unwrap().get_bounding_client_rect().left());
}

/// What `navigator.storage.persisted()` answers within `ms`: `None` when it
/// has not answered by then (the page then shows its neutral line).
async fn persisted_within(ms: i32) -> Option<bool> {
    let storage = js_sys::Reflect::get(&web_sys::window().unwrap().navigator(), &"storage".into()).unwrap();
    let persisted: js_sys::Function = js_sys::Reflect::get(&storage, &"persisted".into()).unwrap().unchecked_into();
    let answer: js_sys::Promise = persisted.call0(&storage).unwrap().unchecked_into();
    let late = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    let first = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(&answer, &late))).await;
    first.unwrap().as_bool()
}

#[wasm_bindgen_test]
async fn your_data_says_whether_the_browser_keeps_the_ledger() {
    let page = open_page("").await;
    let said = persisted_within(2_000).await;
    settle().await;
    let shown = page.find(".data .keep").unwrap();
    let expected = match said {
        Some(true) => "persisted",
        Some(false) => "not-persisted",
        None => "unknown",
    };
    assert_eq!(shown.get_attribute("data-persistence").as_deref(), Some(expected));
    let text = shown.text_content().unwrap();
    if said == Some(false) {
        // Not kept: the page says how to keep the ledger safe.
        assert!(text.contains("may clear the ledger") && text.contains("Export"), "{text}");
    }
}

fn cents(cents: u64) -> Money {
    Money::from_cents(cents).unwrap()
}

#[wasm_bindgen_test]
fn numbers_are_written_and_read_as_the_locale_given_does() {
    let us = Numbers::new(Some("en-US"));
    assert_eq!(us.money(cents(123_450)), "1,234.50");
    assert_eq!(us.money(cents(5)), "0.05");
    assert_eq!(us.count(134_401), "134,401");
    assert_eq!(us.percent(123), "12.3%");
    assert_eq!(us.parse("1,234.50"), Ok(cents(123_450)));
    let de = Numbers::new(Some("de-DE"));
    assert_eq!(de.money(cents(123_450)), "1.234,50");
    assert_eq!(de.money(Money::MAX_BALANCE), "90.000.000.000.000,00", "exact, never through a float");
    assert_eq!(de.count(134_401), "134.401");
    assert_eq!(de.percent(123), "12,3\u{a0}%");
    assert_eq!(de.parse("12,50"), Ok(cents(1250)));
    assert_eq!(de.parse("1.234,50"), Ok(cents(123_450)));
    assert!(de.parse("12.50").is_err(), "a German page does not guess at 12.50");
}

#[wasm_bindgen_test]
async fn a_german_page_reads_and_writes_german_amounts() {
    let page = open_page_in("", "de-DE").await;
    assert_eq!(page.input("Initial balance").placeholder(), "0,00");
    page.open("acc-de", "Anna", "1.000").await;
    page.amount("12,50", "Deposit").await;
    assert_eq!(page.text(".summary .balance"), "1.012,50");
    assert!(page.text(".history tbody tr:first-child").contains("Deposited 12,50"));
    assert!(page.text(".accounts tfoot").contains("1.012,50"));
    page.amount("12.50", "Deposit").await;
    let error = page.text("#amount-error");
    assert!(error.contains("12.50") && error.contains("1.234,50"), "{error}");
    page.amount("99999", "Withdraw").await;
    assert_eq!(
        page.text("[role=alert] span"),
        "Insufficient funds: the balance is 1.012,50, the withdrawal 99.999,00",
        "the core's neutral message, in the page's words"
    );
    Numbers::new(Some("en-US")).use_on_page();
}

/// The texts of the elements `selector` finds.
fn texts(page: &Page, selector: &str) -> Vec<String> {
    let found = page.root.query_selector_all(selector).unwrap();
    (0..found.length()).map(|i| found.item(i).unwrap().text_content().unwrap_or_default()).collect()
}

fn key(element: &web_sys::Element, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    element.dispatch_event(&web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap()).unwrap();
}

#[wasm_bindgen_test]
async fn the_chart_has_labelled_axes_and_reads_out_the_point_in_focus() {
    let page = open_page("").await;
    page.open("acc-001", "Alice", "100").await;
    page.amount("50", "Deposit").await;
    page.amount("30", "Withdraw").await;
    assert_eq!(texts(&page, ".chart-y .tick"), ["0.00", "50.00", "100.00", "150.00"]);
    assert_eq!(texts(&page, ".chart-x .tick"), ["1", "2", "3"]);
    assert_eq!(page.text(".chart-y-title"), "Balance");
    assert_eq!(page.text(".chart-x-title"), "Version");
    let plot: HtmlElement = page.find(".chart [role=slider]").unwrap().unchecked_into();
    assert_eq!(plot.get_attribute("aria-valuemax").as_deref(), Some("3"));
    assert_eq!(page.find(".chart-readout").unwrap().get_attribute("aria-live").as_deref(), Some("polite"));
    plot.focus().unwrap();
    settle().await;
    let readout = page.text(".chart-readout");
    assert!(readout.starts_with("Version 3 of 3, ") && readout.ends_with(": balance 120.00"), "{readout}");
    key(&plot, "ArrowLeft");
    settle().await;
    assert!(page.text(".chart-readout").ends_with(": balance 150.00"));
    assert_eq!(plot.get_attribute("aria-valuenow").as_deref(), Some("2"));
    key(&plot, "Home");
    settle().await;
    assert!(page.text(".chart-readout").starts_with("Version 1 of 3"));
    key(&plot, "End");
    key(&plot, "ArrowLeft");
    settle().await;
    assert_eq!(page.text(".summary .version"), "3", "picking a point does not travel");
    key(&plot, "Enter");
    settle().await;
    assert_eq!(page.text(".summary .version"), "2", "Enter travels to the point");
    assert_eq!(page.text(".summary .balance"), "150.00");
    assert!(page.find(".chart .marker").is_some());
}

#[wasm_bindgen_test]
async fn a_click_on_the_chart_travels_to_the_version_under_it() {
    let page = open_page("").await;
    page.open("acc-001", "Alice", "100").await;
    page.amount("50", "Deposit").await;
    page.amount("30", "Withdraw").await;
    let plot = page.find(".chart [role=slider]").unwrap();
    let rect = plot.get_bounding_client_rect();
    let click = |share: f64| {
        let init = web_sys::MouseEventInit::new();
        init.set_bubbles(true);
        init.set_client_x((rect.left() + rect.width() * share) as i32);
        init.set_client_y((rect.top() + rect.height() / 2.0) as i32);
        plot.dispatch_event(&web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap()).unwrap();
    };
    click(0.02);
    settle().await;
    assert_eq!(page.text(".summary .version"), "1");
    assert_eq!(page.text(".summary .balance"), "100.00");
    click(0.5);
    settle().await;
    assert_eq!(page.text(".summary .version"), "2");
    click(0.98);
    settle().await;
    assert_eq!(page.text(".summary .version"), "3", "the last point is now");
    assert!(page.button("Back to now").has_attribute("disabled"));
}
