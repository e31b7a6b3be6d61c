//! An account statement as CSV: one row per event, with the balance after it.

use crate::domain::BankAccount;
use crate::store::{Envelope, Timestamp};

/// `date,type,amount,balance_after` (the date in UTC, ISO 8601; amounts
/// with two decimals), oldest first.
pub fn statement_csv(account: &crate::domain::AccountId, history: &[Envelope]) -> String {
    let mut out = String::from("date,type,amount,balance_after\n");
    let mut state = BankAccount::new(account.clone());
    for envelope in history {
        state.apply(&envelope.event);
        let parts = envelope.event.parts();
        let (kind, amount) = (parts.kind, parts.amount());
        out.push_str(&format!("{},{},{amount},{}\n", utc(envelope.recorded_at), kind.event, state.balance()));
    }
    out
}

/// `2026-11-26T15:10:05Z` for milliseconds since the epoch (the civil
/// calendar from a day count, as in Howard Hinnant's date algorithms).
pub fn utc(at: Timestamp) -> String {
    let seconds = at.0 / 1000;
    let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    let z = i64::try_from(days).unwrap_or(i64::MAX / 2) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_iso_8601() {
        assert_eq!(utc(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(utc(Timestamp(951_782_400_000)), "2000-02-29T00:00:00Z");
        assert_eq!(utc(Timestamp(1_795_710_465_616)), "2026-11-26T16:27:45Z");
        assert_eq!(utc(Timestamp(4_102_444_799_000)), "2099-12-31T23:59:59Z");
    }
}
