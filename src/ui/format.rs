//! How values read on screen. Numbers are written in the browser's locale
//! by `Intl.NumberFormat`, whose formatters are made once for the page
//! ([`Numbers`]); amounts are read back with the same locale's marks. The
//! JS API, the export and the CSV never come here: they stay neutral.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Intl, Object, Reflect};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::{Event, Money, MoneyError, Separators, Timestamp};

/// The page's number formats for one locale: amounts with exactly two
/// decimals, counts, shares of a whole, and the marks a person of that
/// locale types amounts with.
#[derive(Debug)]
pub struct Numbers {
    money: Function,
    count: Function,
    percent: Function,
    separators: Separators,
}

thread_local! {
    /// The page's formats, made at their first use.
    static PAGE: RefCell<Option<Rc<Numbers>>> = const { RefCell::new(None) };
}

impl Numbers {
    /// The formats of `locale` (a BCP 47 tag such as `de-DE`), or with
    /// `None` of the languages the browser asks pages for
    /// (`navigator.languages`: Firefox's own default locale is its
    /// interface's, which a person reading German pages may not have).
    pub fn new(locale: Option<&str>) -> Numbers {
        let locales = match locale {
            Some(tag) => Array::of1(&JsValue::from_str(tag)),
            None => web_sys::window().map(|w| w.navigator().languages()).unwrap_or_default(),
        };
        let make = |options: &[(&str, JsValue)]| {
            let object = Object::new();
            for (key, value) in options {
                // Setting a property of a fresh plain object cannot fail.
                let _ = Reflect::set(&object, &JsValue::from_str(key), value);
            }
            Intl::NumberFormat::new(&locales, &object)
        };
        let two = JsValue::from_f64(2.0);
        let money = make(&[("minimumFractionDigits", two.clone()), ("maximumFractionDigits", two)]);
        let count = make(&[("maximumFractionDigits", JsValue::from_f64(0.0))]);
        let one = JsValue::from_f64(1.0);
        let percent =
            make(&[("style", "percent".into()), ("minimumFractionDigits", one.clone()), ("maximumFractionDigits", one)]);
        let separators = separators_of(&money);
        Numbers { money: money.format(), count: count.format(), percent: percent.format(), separators }
    }

    /// Makes these the page's formats (a test pins a locale with it).
    pub fn use_on_page(self) {
        PAGE.with(|page| *page.borrow_mut() = Some(Rc::new(self)));
    }

    /// `1,234.50` in en-US, `1.234,50` in de-DE.
    pub fn money(&self, amount: Money) -> String {
        self.decimal(&amount.to_string())
    }

    /// `12,345` in en-US, `12.345` in de-DE.
    pub fn count(&self, count: u64) -> String {
        call(&self.count, &count.to_string())
    }

    /// `12.3%` in en-US, `12,3 %` in de-DE, of `permille` thousandths.
    pub fn percent(&self, permille: u64) -> String {
        call(&self.percent, &format!("{}.{:03}", permille / 1000, permille % 1000))
    }

    /// An amount as a person of this locale types it: `12,50` in de-DE.
    pub fn parse(&self, text: &str) -> Result<Money, MoneyError> {
        Money::parse_in(text, self.separators)
    }

    pub fn separators(&self) -> Separators {
        self.separators
    }

    /// A neutral decimal text (`1234.50`; any size), with two decimals.
    fn decimal(&self, neutral: &str) -> String {
        call(&self.money, neutral)
    }
}

/// Formats a neutral decimal text. `Intl` reads a string as an exact
/// decimal, so no amount passes through a float; an older browser reads
/// it as a number (exact for balances below 2^53 / 100).
fn call(format: &Function, neutral: &str) -> String {
    format
        .call1(&JsValue::UNDEFINED, &JsValue::from_str(neutral))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| neutral.to_owned())
}

/// The decimal and group marks of `format`, from how it writes 1234567.5.
fn separators_of(format: &Intl::NumberFormat) -> Separators {
    let mut separators = Separators::NEUTRAL;
    for part in format.format_to_parts(1_234_567.5).iter() {
        let Some(part) = part.dyn_ref::<Object>() else { continue };
        let field = |name: &str| Reflect::get(part, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
        let mark = field("value").and_then(|v| v.chars().next());
        match (field("type").as_deref(), mark) {
            (Some("decimal"), Some(mark)) => separators.decimal = mark,
            (Some("group"), Some(mark)) => separators.group = Some(mark),
            _ => {}
        }
    }
    separators
}

/// The page's formats: the browser's locale unless a test pinned another.
pub fn numbers() -> Rc<Numbers> {
    PAGE.with(|page| page.borrow_mut().get_or_insert_with(|| Rc::new(Numbers::new(None))).clone())
}

/// `1,300.00`, in the page's locale.
pub fn money(amount: Money) -> String {
    numbers().money(amount)
}

/// A sum of cents that may exceed what one `Money` holds, like [`money`].
pub fn cents(cents: u128) -> String {
    numbers().decimal(&format!("{}.{:02}", cents / 100, cents % 100))
}

/// `10,000`, in the page's locale.
pub fn count(count: u64) -> String {
    numbers().count(count)
}

/// `2026-11-26 15:10:05`, in the browser's time zone.
pub fn time(at: Timestamp) -> String {
    // Milliseconds since the epoch fit an f64 exactly for the next 285,000 years.
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

/// What happened, in words: `Deposited 500.00`. An owner's name is isolated
/// in `<bdi>`, so no name (whatever direction controls an earlier version
/// let it hold) can reorder the words around it.
pub fn event(event: &Event) -> AnyView {
    match event {
        Event::AccountOpened { owner, initial_balance } => {
            let rest = format!(" with {}", money(*initial_balance));
            view! { "Opened for " <bdi>{owner.to_string()}</bdi> {rest} }.into_any()
        }
        Event::MoneyDeposited { amount, .. } => format!("Deposited {}", money(*amount)).into_any(),
        Event::MoneyWithdrawn { amount, .. } => format!("Withdrew {}", money(*amount)).into_any(),
    }
}
