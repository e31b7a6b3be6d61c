//! Amounts as a person types them: `1.234,50` in Germany, `1,234.50` in the
//! US. The marks come from the edge (the browser's `Intl.NumberFormat`);
//! the rules are here, and [`Money::parse`] is the locale-neutral case.

use super::money::{Money, MoneyError};
use crate::text::preview;

/// The marks a locale writes numbers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Separators {
    /// Between whole units and cents: `.`, `,`, `٫`.
    pub decimal: char,
    /// Between groups of three digits of the whole units, if the locale
    /// marks them: `,`, `.`, `’`, a (narrow) no-break space.
    pub group: Option<char>,
}

impl Separators {
    /// What the JS API, the export and the CSV read: `1234.50`, no groups.
    pub const NEUTRAL: Separators = Separators { decimal: '.', group: None };
}

/// A space of any width: a group mark that is one may be typed as any.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

impl Money {
    /// Parses an amount typed with `separators`, exactly: `"1.234,5"` and
    /// `"1234,50"` with German marks, `"1,234.5"` with American ones
    /// (surrounding white space allowed). Groups, when marked, are of
    /// three digits after the first; text that places a group mark
    /// anywhere else (`"12.50"` with German marks) is
    /// [`MoneyError::Misgrouped`], never guessed at.
    pub fn parse_in(text: &str, separators: Separators) -> Result<Money, MoneyError> {
        let trimmed = text.trim();
        let shown = || preview(trimmed);
        let Separators { decimal, group } = separators;
        let is_group = |c: char| group.is_some_and(|g| c == g || (is_space(g) && is_space(c)));
        let numeric = |c: char| c.is_ascii_digit() || c == decimal || is_group(c);
        if let Some(rest) = trimmed.strip_prefix(['-', '\u{2212}']) {
            if !rest.is_empty() && rest.chars().all(numeric) {
                return Err(MoneyError::Negative(shown()));
            }
            return Err(MoneyError::NotANumber(shown()));
        }
        let (whole, fraction) = match trimmed.split_once(decimal) {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (trimmed, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if fraction.is_some_and(|f| !all_digits(f)) || !whole.chars().all(numeric) || whole.contains(decimal) {
            return Err(MoneyError::NotANumber(shown()));
        }
        let mut groups = whole.split(is_group);
        let first = groups.next().unwrap_or_default();
        let mut digits = first.to_owned();
        if whole.contains(is_group) {
            // Marked groups: one to three digits, then threes.
            if !(1..=3).contains(&first.len()) {
                return Err(MoneyError::Misgrouped(shown()));
            }
            for rest in groups {
                if rest.len() != 3 {
                    return Err(MoneyError::Misgrouped(shown()));
                }
                digits.push_str(rest);
            }
        }
        if !all_digits(&digits) {
            return Err(MoneyError::NotANumber(shown()));
        }
        Money::from_digits(&digits, fraction.unwrap_or_default(), shown)
    }

    /// Whole units and cents, each given as ASCII digits (`fraction` at
    /// most two of them): the amount, within [`Money::MAX_AMOUNT`].
    fn from_digits(whole: &str, fraction: &str, shown: impl Fn() -> String) -> Result<Money, MoneyError> {
        if fraction.len() > 2 {
            return Err(MoneyError::TooPrecise(shown()));
        }
        let whole = whole.trim_start_matches('0');
        // 13 digits of whole units is already more than the maximum.
        if whole.len() > 13 {
            return Err(MoneyError::TooLarge(shown()));
        }
        let value = |s: &str| s.bytes().fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
        let cents = value(whole) * 100
            + match fraction.len() {
                0 => 0,
                1 => value(fraction) * 10,
                _ => value(fraction),
            };
        Money::from_cents(cents).filter(|m| *m <= Money::MAX_AMOUNT).ok_or_else(|| MoneyError::TooLarge(shown()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DE: Separators = Separators { decimal: ',', group: Some('.') };
    const US: Separators = Separators { decimal: '.', group: Some(',') };
    const FR: Separators = Separators { decimal: ',', group: Some('\u{202f}') };

    /// Given a locale's marks, when a person types some text, then it is an
    /// amount or a reason why not.
    struct Given(Separators);

    fn given(separators: Separators) -> Given {
        Given(separators)
    }

    impl Given {
        fn when_typed(&self, text: &str) -> Result<Money, MoneyError> {
            Money::parse_in(text, self.0)
        }
    }

    fn cents(cents: u64) -> Result<Money, MoneyError> {
        Money::from_cents(cents).ok_or_else(|| MoneyError::TooLarge(cents.to_string()))
    }

    #[test]
    fn german_text_reads_with_a_decimal_comma_and_dotted_groups() {
        let de = given(DE);
        assert_eq!(de.when_typed("12,50"), cents(1250));
        assert_eq!(de.when_typed("1.234,50"), cents(123_450));
        assert_eq!(de.when_typed("1234,5"), cents(123_450));
        assert_eq!(de.when_typed(" 1.234.567 "), cents(123_456_700));
        assert_eq!(de.when_typed("7"), cents(700));
    }

    #[test]
    fn american_text_reads_with_a_decimal_point_and_comma_groups() {
        let us = given(US);
        assert_eq!(us.when_typed("12.50"), cents(1250));
        assert_eq!(us.when_typed("1,234.50"), cents(123_450));
        assert_eq!(us.when_typed("1,000,000,000,000"), Ok(Money::MAX_AMOUNT));
    }

    #[test]
    fn a_group_mark_out_of_place_is_refused_not_guessed() {
        // "12.50" in Germany: twelve and a half, or a typo for 1.250? Neither.
        for (marks, text) in [(DE, "12.50"), (DE, "1.5"), (DE, "1.2345"), (DE, "1..234"), (DE, ".234"), (DE, "1234.567")] {
            assert_eq!(given(marks).when_typed(text), Err(MoneyError::Misgrouped(text.into())), "{text}");
        }
        for text in ["12,50", "1,23,456.00", "1,2"] {
            assert_eq!(given(US).when_typed(text), Err(MoneyError::Misgrouped(text.into())), "{text}");
        }
    }

    #[test]
    fn a_space_group_mark_may_be_typed_as_any_space() {
        let fr = given(FR);
        assert_eq!(fr.when_typed("1\u{202f}234,50"), cents(123_450));
        assert_eq!(fr.when_typed("1 234,50"), cents(123_450));
        assert_eq!(fr.when_typed("1\u{a0}234"), cents(123_400));
    }

    #[test]
    fn what_is_no_amount_in_a_locale_says_why() {
        let de = given(DE);
        assert_eq!(de.when_typed("12,345"), Err(MoneyError::TooPrecise("12,345".into())));
        assert_eq!(de.when_typed("-12,50"), Err(MoneyError::Negative("-12,50".into())));
        assert_eq!(de.when_typed("\u{2212}1"), Err(MoneyError::Negative("\u{2212}1".into())));
        assert_eq!(de.when_typed("1.000.000.000.000,01"), Err(MoneyError::TooLarge("1.000.000.000.000,01".into())));
        for bad in ["", ",", "1,", ",5", "1,2,3", "12,5a", "abc", "1e3", "+1", "١٢", "1 234"] {
            assert_eq!(de.when_typed(bad), Err(MoneyError::NotANumber(bad.into())), "{bad:?}");
        }
    }

    #[test]
    fn neutral_text_is_what_the_js_api_reads() {
        let neutral = given(Separators::NEUTRAL);
        assert_eq!(neutral.when_typed("1234.50"), cents(123_450));
        assert_eq!(neutral.when_typed("1,234.50"), Err(MoneyError::NotANumber("1,234.50".into())));
        assert_eq!(neutral.when_typed("12.50"), Money::parse("12.50"));
    }
}
