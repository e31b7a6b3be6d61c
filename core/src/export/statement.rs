//! An account statement as CSV: one row per event, with the balance after it.

use crate::domain::{BankAccount, Date};
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

/// `2026-11-26T15:10:05Z` for milliseconds since the epoch.
pub fn utc(at: Timestamp) -> String {
    let second_of_day = at.0 / 1000 % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        Date::of_unix_millis(at.0),
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
