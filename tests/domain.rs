//! The aggregate's rules, given/when/then, and the domain's properties.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use bank_ledger::{balance_timeline, state_at, AccountState, Command, DomainError, Event, Facts, Money, Version};
use proptest::prelude::*;
use support::*;

#[test]
fn opening_a_new_account_records_who_and_how_much() {
    given([]).when(open("Alice", "1000.00")).then([opened("Alice", "1000.00")]);
}

#[test]
fn an_account_may_open_with_nothing() {
    given([]).when(open("Alice", "0")).then([opened("Alice", "0.00")]);
}

#[test]
fn opening_an_existing_account_is_rejected() {
    given([opened("Alice", "1.00")])
        .when(open("Mallory", "5.00"))
        .then_err(DomainError::AccountAlreadyExists { id: id(ACCOUNT) });
}

#[test]
fn deposits_and_withdrawals_need_an_opened_account() {
    // The original silently created the account; that was a bug.
    given([]).when(deposit("5.00")).then_err(DomainError::AccountNotFound { id: id(ACCOUNT) });
    given([]).when(withdraw("5.00")).then_err(DomainError::AccountNotFound { id: id(ACCOUNT) });
}

#[test]
fn a_deposit_is_recorded() {
    given([opened("Alice", "1000.00")]).when(deposit("500.00")).then([deposited("500.00")]);
}

#[test]
fn a_withdrawal_within_the_balance_is_recorded() {
    given([opened("Alice", "10.00")]).when(withdraw("10.00")).then([withdrawn("10.00")]);
}

#[test]
fn a_withdrawal_past_the_balance_is_insufficient_funds() {
    given([opened("Alice", "10.00"), deposited("0.50")])
        .when(withdraw("10.51"))
        .then_err(DomainError::InsufficientFunds { balance: money("10.50"), requested: money("10.51") });
}

#[test]
fn the_insufficient_funds_message_says_so() {
    let error = DomainError::InsufficientFunds { balance: money("1.00"), requested: money("2.00") };
    assert!(error.to_string().contains("Insufficient funds"), "{error}");
}

#[test]
fn zero_amounts_are_rejected() {
    given([opened("Alice", "10.00")]).when(deposit("0")).then_err(DomainError::ZeroAmount);
    given([opened("Alice", "10.00")]).when(withdraw("0.00")).then_err(DomainError::ZeroAmount);
}

#[test]
fn the_balance_cannot_overflow() {
    let full = Money::MAX_BALANCE.checked_sub(money("5.00")).unwrap();
    let mut history = vec![opened("Alice", "0")];
    let mut balance = Money::ZERO;
    while balance < full {
        let amount = Money::MAX_AMOUNT.min(full.checked_sub(balance).unwrap());
        history.push(Event::deposited(amount));
        balance = balance.checked_add(amount).unwrap();
    }
    given(history.clone()).when(deposit("5.00")).then([deposited("5.00")]);
    given(history).when(deposit("5.01")).then_err(DomainError::BalanceLimitExceeded { balance: full, amount: money("5.01") });
}

#[test]
fn depositing_point_one_then_point_two_gives_exactly_point_three() {
    let from_js = |x: f64| Command::deposit(Money::from_units(x).unwrap());
    let mut account = given([opened("Alice", "0")]).when(from_js(0.1)).then([deposited("0.10")]);
    for event in account.decide(&from_js(0.2), &Facts::NONE).unwrap() {
        account.apply(&event);
    }
    assert_eq!(account.balance(), money("0.30"));
    assert_eq!(account.balance().to_units(), 0.3);
}

#[test]
fn state_is_the_fold_of_the_events_and_version_counts_them() {
    let account = given([opened("Alice", "1000.00"), deposited("500.00")]).when(withdraw("200.00")).then([withdrawn("200.00")]);
    assert_eq!(
        account.state(),
        Some(AccountState { id: id(ACCOUNT), owner: owner("Alice"), balance: money("1300.00"), version: Version::new(3) })
    );
}

#[test]
fn check_accepts_what_decide_produces_and_refuses_the_rest() {
    let account = bank_ledger::BankAccount::replay(id(ACCOUNT), &[opened("Alice", "5.00")]);
    assert_eq!(account.check(&withdrawn("5.00")), Ok(()));
    assert_eq!(
        account.check(&withdrawn("5.01")),
        Err(DomainError::InsufficientFunds { balance: money("5.00"), requested: money("5.01") })
    );
    assert_eq!(account.check(&opened("Bob", "1.00")), Err(DomainError::AccountAlreadyExists { id: id(ACCOUNT) }));
}

#[test]
fn commands_and_events_serialize_as_the_original_json() {
    let cases: [(Command, &str); 3] = [
        (open("Alice", "1000.00"), r#"{"type":"OpenAccount","owner":"Alice","initial_balance":1000.0}"#),
        (deposit("500.00"), r#"{"type":"Deposit","amount":500.0}"#),
        (withdraw("200.00"), r#"{"type":"Withdraw","amount":200.0}"#),
    ];
    for (command, json) in cases {
        assert_eq!(serde_json::to_string(&command).unwrap(), json);
        assert_eq!(serde_json::from_str::<Command>(json).unwrap(), command);
    }
    let cases: [(Event, &str); 3] = [
        (opened("Alice", "1000.00"), r#"{"type":"AccountOpened","owner":"Alice","initial_balance":1000.0}"#),
        (deposited("500.00"), r#"{"type":"MoneyDeposited","amount":500.0}"#),
        (withdrawn("200.00"), r#"{"type":"MoneyWithdrawn","amount":200.0}"#),
    ];
    for (event, json) in cases {
        assert_eq!(serde_json::to_string(&event).unwrap(), json);
        assert_eq!(serde_json::from_str::<Event>(json).unwrap(), event);
    }
}

#[test]
fn json_with_bad_amounts_or_owners_does_not_parse() {
    for json in [
        r#"{"type":"Deposit","amount":0.001}"#,
        r#"{"type":"Deposit","amount":-1}"#,
        r#"{"type":"Deposit","amount":1e13}"#,
        r#"{"type":"Deposit","amount":"5"}"#,
        r#"{"type":"Deposit"}"#,
        r#"{"type":"Deposit","amount":5,"extra":1}"#,
        r#"{"type":"OpenAccount","owner":"  ","initial_balance":1}"#,
        r#"{"type":"Steal","amount":5}"#,
    ] {
        assert!(serde_json::from_str::<Command>(json).is_err(), "{json}");
    }
}

#[test]
fn time_travel_folds_a_prefix() {
    let events = [opened("Alice", "1000.00"), deposited("500.00"), withdrawn("200.00")];
    assert_eq!(state_at(&id(ACCOUNT), &events, Version::EMPTY), None);
    assert_eq!(state_at(&id(ACCOUNT), &events, Version::new(2)).map(|s| s.balance), Some(money("1500.00")));
    assert_eq!(state_at(&id(ACCOUNT), &events, Version::new(4)), None);
    assert_eq!(
        balance_timeline(&id(ACCOUNT), &events),
        vec![(Version::new(1), money("1000.00")), (Version::new(2), money("1500.00")), (Version::new(3), money("1300.00"))]
    );
}

fn any_money() -> impl Strategy<Value = Money> {
    (0..=Money::MAX_AMOUNT.cents()).prop_map(|cents| Money::from_cents(cents).unwrap())
}

proptest! {
    #[test]
    fn money_round_trips_through_numbers_and_text(m in any_money()) {
        prop_assert_eq!(Money::from_units(m.to_units()), Ok(m));
        prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }

    #[test]
    fn a_number_is_accepted_exactly_or_rejected(x in any::<f64>()) {
        if let Ok(m) = Money::from_units(x) {
            prop_assert_eq!(m.to_units(), x);
        }
    }

    #[test]
    fn small_numbers_with_three_decimals_are_rejected(thousandths in 0u64..10_000_000) {
        let x = thousandths as f64 / 1000.0;
        prop_assert_eq!(Money::from_units(x).is_ok(), thousandths % 10 == 0);
    }
}
