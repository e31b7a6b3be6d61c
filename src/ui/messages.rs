//! The page's words for errors that carry an amount: the one place the UI
//! turns a core error into a message. The core's own messages (the JS
//! API's) write amounts neutrally (`1265.00`); the page writes them in its
//! locale (`1,265.00`, `1.265,00`).

use super::format::{money, numbers};
use crate::{DomainError, LedgerError, Money, MoneyError};

/// A command's rejection, as the page says it.
pub fn rejection(error: &LedgerError) -> String {
    if let LedgerError::Domain(problem) = error {
        domain(problem)
    } else {
        error.to_string()
    }
}

/// An account rule's refusal.
pub fn domain(error: &DomainError) -> String {
    match error {
        DomainError::InsufficientFunds { balance, requested } => {
            format!("Insufficient funds: the balance is {}, the withdrawal {}", money(*balance), money(*requested))
        }
        DomainError::BalanceLimitExceeded { balance, amount } => format!(
            "Depositing {} would take the balance of {} over the maximum of {}",
            money(*amount),
            money(*balance),
            money(Money::MAX_BALANCE)
        ),
        DomainError::ZeroAmount | DomainError::AccountNotFound { .. } | DomainError::AccountAlreadyExists { .. } => {
            error.to_string()
        }
    }
}

/// Why typed text is not an amount, with an example in the page's locale.
pub fn amount(error: &MoneyError) -> String {
    let example = Money::from_cents(123_450).map(money).unwrap_or_default();
    match error {
        MoneyError::NotANumber(text) => format!("\"{text}\" is not an amount such as {example}"),
        MoneyError::Misgrouped(text) => format!(
            "\"{text}\" can't be read as an amount here: write it as {example}, with the cents after \"{}\"",
            numbers().separators().decimal
        ),
        MoneyError::TooPrecise(text) => format!("amount {text} has more than 2 decimal places"),
        MoneyError::Negative(text) => format!("amount {text} is negative: amounts are 0 or more"),
        MoneyError::TooLarge(text) => format!("amount {text} is more than the maximum of {}", money(Money::MAX_AMOUNT)),
        MoneyError::NotFinite(_) => error.to_string(),
    }
}
