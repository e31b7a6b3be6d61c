//! Money as exact integer minor units (cents).
//!
//! JSON and JavaScript carry amounts as numbers in currency units (`500.0`), so
//! a `Money` is parsed from an `f64` exactly once, at the boundary, and only when
//! that number *is* a whole number of cents. Nothing is ever rounded silently.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

const CENTS_PER_UNIT: u64 = 100;

/// A non-negative amount of money in cents.
///
/// Every value up to [`Money::MAX_BALANCE`] converts to a JavaScript number
/// without loss (it stays below 2^53 cents).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(u64);

/// Why a number or text is not an acceptable amount of money.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount must be a finite number, got {0}")]
    NotFinite(String),
    #[error("amount must not be negative, got {0}")]
    Negative(String),
    #[error("amount {0} has more than 2 decimal places")]
    TooPrecise(String),
    #[error("amount {0} is more than the maximum of 1000000000000.00")]
    TooLarge(String),
    #[error("amount {0:?} is not a decimal number such as 12.34")]
    NotANumber(String),
    #[error("amount {0:?} has a group separator where no group of three digits ends")]
    Misgrouped(String),
}

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);
    /// The largest amount one command may carry: 1,000,000,000,000.00.
    pub const MAX_AMOUNT: Money = Money(1_000_000_000_000 * CENTS_PER_UNIT);
    /// The largest balance an account may hold: 90,000,000,000,000.00,
    /// just under 2^53 cents, so every balance is exact as a JS number.
    pub const MAX_BALANCE: Money = Money(90_000_000_000_000 * CENTS_PER_UNIT);

    /// Money from whole cents, if it is within [`Money::MAX_BALANCE`].
    pub fn from_cents(cents: u64) -> Option<Money> {
        (cents <= Self::MAX_BALANCE.0).then_some(Money(cents))
    }

    /// The amount in cents.
    pub fn cents(self) -> u64 {
        self.0
    }

    /// Parses an amount given in currency units as a JS/JSON number.
    ///
    /// Accepts exactly the numbers that are the nearest `f64` to a decimal with at
    /// most two places, between 0 and [`Money::MAX_AMOUNT`]. `-0` is zero.
    pub fn from_units(units: f64) -> Result<Money, MoneyError> {
        Money::from_units_shown(units, show)
    }

    /// Like [`Money::from_units`], with the number in an error written by
    /// `show`: the browser writes it as JavaScript does (and so the app
    /// carries no float formatting of its own).
    pub fn from_units_shown(units: f64, show: impl Fn(f64) -> String) -> Result<Money, MoneyError> {
        if !units.is_finite() {
            return Err(MoneyError::NotFinite(show(units)));
        }
        if units < 0.0 {
            return Err(MoneyError::Negative(show(units)));
        }
        if units > Self::MAX_AMOUNT.to_units() {
            return Err(MoneyError::TooLarge(show(units)));
        }
        // `units` is now in 0..=1e12, so `cents` is a whole number in 0..=1e14,
        // exactly representable (< 2^53) and the `as` cast below is lossless.
        let cents = (units * 100.0).round();
        // Division is correctly rounded: this is the f64 nearest to cents/100,
        // which equals `units` exactly when `units` had at most 2 decimals.
        if cents / 100.0 != units {
            return Err(MoneyError::TooPrecise(show(units)));
        }
        Ok(Money(cents as u64))
    }

    /// Parses a decimal text such as `"12.34"`, `"12.3"` or `"12"` (surrounding
    /// white space allowed), exactly: the locale-neutral form the JS API,
    /// the export and the CSV write ([`Money::parse_in`] with
    /// [`Separators::NEUTRAL`](super::Separators::NEUTRAL)).
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        Money::parse_in(text, super::Separators::NEUTRAL)
    }

    /// The amount in currency units, as JSON and JavaScript carry it.
    /// Exact: the nearest `f64` to the decimal value.
    pub fn to_units(self) -> f64 {
        // `self.0` is at most MAX_BALANCE < 2^53, so the conversion is exact.
        self.0 as f64 / CENTS_PER_UNIT as f64
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or `None` past [`Money::MAX_BALANCE`].
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).and_then(Money::from_cents)
    }

    /// `self - other`, or `None` below zero.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self + other`, capped at [`Money::MAX_BALANCE`].
    pub fn saturating_add(self, other: Money) -> Money {
        self.checked_add(other).unwrap_or(Self::MAX_BALANCE)
    }

    /// `self - other`, floored at zero.
    pub fn saturating_sub(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0))
    }

    /// Formats with thousands separators: `1,234,567.89`.
    pub fn grouped(self) -> String {
        let whole = (self.0 / CENTS_PER_UNIT).to_string();
        let mut out = String::with_capacity(whole.len() + whole.len() / 3 + 3);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(digit);
        }
        format!("{out}.{:02}", self.0 % CENTS_PER_UNIT)
    }
}

/// `1300.00`: always two decimals, no separators; [`Money::parse`] reads it back.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / CENTS_PER_UNIT, self.0 % CENTS_PER_UNIT)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.to_units())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        deserializer.deserialize_f64(MoneyVisitor)
    }
}

struct MoneyVisitor;

impl de::Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an amount in currency units with at most 2 decimals")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
        Money::from_units(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
        v.checked_mul(CENTS_PER_UNIT)
            .filter(|cents| *cents <= Money::MAX_AMOUNT.0)
            .map(Money)
            .ok_or_else(|| E::custom(MoneyError::TooLarge(v.to_string())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(MoneyError::Negative(v.to_string()))),
        }
    }
}

/// A number as a person would write it in a message.
fn show(value: f64) -> String {
    if value.is_finite() && value.abs() >= 1e15 {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

/// Written as a whole number of cents.
impl crate::coded::Field for Money {
    fn write(&self, out: &mut dyn crate::coded::FieldWriter) {
        out.number(self.cents());
    }
    fn read(input: &mut dyn crate::coded::FieldReader) -> Option<Money> {
        Money::from_cents(input.number()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_two_decimals_are_exact() {
        assert_eq!(Money::from_units(0.1), Ok(Money(10)));
        assert_eq!(Money::from_units(1.15), Ok(Money(115)));
        assert_eq!(Money::from_units(1000.0), Ok(Money(100_000)));
        assert_eq!(Money::from_units(-0.0), Ok(Money::ZERO));
        assert_eq!(Money::from_units(1e12), Ok(Money::MAX_AMOUNT));
    }

    #[test]
    fn anything_else_is_rejected_not_rounded() {
        assert!(matches!(Money::from_units(0.001), Err(MoneyError::TooPrecise(_))));
        assert!(matches!(Money::from_units(1.005), Err(MoneyError::TooPrecise(_))));
        assert!(matches!(Money::from_units(f64::NAN), Err(MoneyError::NotFinite(_))));
        assert!(matches!(Money::from_units(f64::INFINITY), Err(MoneyError::NotFinite(_))));
        assert!(matches!(Money::from_units(-5.0), Err(MoneyError::Negative(_))));
        assert!(matches!(Money::from_units(1e308), Err(MoneyError::TooLarge(m)) if m == "1e308"));
        assert!(matches!(Money::from_units(1e12 + 0.01), Err(MoneyError::TooLarge(_))));
    }

    #[test]
    fn text_parses_exactly() {
        assert_eq!(Money::parse("12.34"), Ok(Money(1234)));
        assert_eq!(Money::parse(" 12.3 "), Ok(Money(1230)));
        assert_eq!(Money::parse("007"), Ok(Money(700)));
        assert_eq!(Money::parse("1000000000000.00"), Ok(Money::MAX_AMOUNT));
        for bad in ["", ".", "1.", ".5", "1e3", "1,000", "abc", "1.2.3", "+1", "١٢"] {
            assert!(matches!(Money::parse(bad), Err(MoneyError::NotANumber(_))), "{bad:?}");
        }
        assert!(matches!(Money::parse("-1"), Err(MoneyError::Negative(_))));
        assert!(matches!(Money::parse("1.234"), Err(MoneyError::TooPrecise(_))));
        assert!(matches!(Money::parse("1000000000000.01"), Err(MoneyError::TooLarge(_))));
        assert!(matches!(Money::parse("99999999999999999999999"), Err(MoneyError::TooLarge(_))));
    }

    #[test]
    fn formats_with_two_decimals() {
        assert_eq!(Money(130_000).to_string(), "1300.00");
        assert_eq!(Money(5).to_string(), "0.05");
        assert_eq!(Money(123_456_789).grouped(), "1,234,567.89");
        assert_eq!(Money(99).grouped(), "0.99");
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Money(10).checked_add(Money(20)), Some(Money(30)));
        assert_eq!(Money::MAX_BALANCE.checked_add(Money(1)), None);
        assert_eq!(Money(10).checked_sub(Money(11)), None);
        assert_eq!(Money::MAX_BALANCE.saturating_add(Money(1)), Money::MAX_BALANCE);
        assert_eq!(Money(1).saturating_sub(Money(2)), Money::ZERO);
    }

    #[test]
    fn json_numbers_round_trip() {
        let money: Money = serde_json::from_str("500.0").unwrap_or_default();
        assert_eq!(money, Money(50_000));
        assert_eq!(serde_json::to_string(&Money(50_000)).ok().as_deref(), Some("500.0"));
        assert!(serde_json::from_str::<Money>("0.001").is_err());
        assert!(serde_json::from_str::<Money>("-1").is_err());
        assert!(serde_json::from_str::<Money>("\"5\"").is_err());
    }
}
