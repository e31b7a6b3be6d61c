//! The service's tip cache against a real PostgreSQL: two ledgers over one
//! database (two servers) each cache the same account; a stale cache costs
//! a conflict and a retry, never a wrong answer: not a lost or doubled
//! command, not a stale refusal, not a command id done twice. Run by
//! scripts/test-server.sh.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::time::Duration;

use ledger_core::{AccountId, Command, CommandId, CommandRequest, DomainError, LedgerError, Money, Owner};
use ledger_server::store::{Device, MessageDb, Tenant};
use ledger_server::Ledger;

fn cents(c: u64) -> Money {
    Money::from_cents(c).unwrap()
}

fn request(id: &AccountId, command: Command, command_id: Option<&str>) -> CommandRequest {
    CommandRequest { account: id.clone(), command, command_id: command_id.map(|c| CommandId::parse(c).unwrap()) }
}

#[tokio::test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
async fn a_stale_cache_costs_a_retry_never_a_wrong_answer() {
    let store = MessageDb::open(&support::database_url(), 4, Duration::from_secs(10)).await.unwrap();
    let (one, two, three) = (Ledger::new(store.clone()), Ledger::new(store.clone()), Ledger::new(store));
    let (tenant, device) = (Tenant::parse("cachetest").unwrap(), Device::http());
    let id = AccountId::parse("shared").unwrap();
    let open = Command::open(Owner::parse("Ann").unwrap(), cents(100));
    assert_eq!(one.execute(&tenant, &device, &request(&id, open, None)).await.unwrap().version.get(), 1);
    // All three cache the account at version 1.
    assert_eq!(two.account(&tenant, &id).await.unwrap().balance, cents(100));
    assert_eq!(three.account(&tenant, &id).await.unwrap().balance, cents(100));

    // `one` moves it on; `two`'s cached tip is stale.
    let deposit = request(&id, Command::deposit(cents(900)), Some("c-1"));
    assert_eq!(one.execute(&tenant, &device, &deposit).await.unwrap().balance, cents(1000));

    // A withdrawal `two`'s cache would refuse (100 < 500) is checked
    // against the stream first, and done.
    let withdraw = request(&id, Command::withdraw(cents(500)), None);
    let state = two.execute(&tenant, &device, &withdraw).await.unwrap();
    assert_eq!((state.balance, state.version.get()), (cents(500), 3));

    // `one` is now stale: its deposit conflicts, reads version 3, and is
    // decided again on it.
    let state = one.execute(&tenant, &device, &request(&id, Command::deposit(cents(1)), None)).await.unwrap();
    assert_eq!((state.balance, state.version.get()), (cents(501), 4));
    assert_eq!(
        one.metrics().render().lines().find(|l| l.starts_with("ledger_append_conflicts_total ")),
        Some("ledger_append_conflicts_total 1")
    );

    // `three`'s cache is still at version 1, before c-1: sent to it again,
    // c-1's deposit conflicts, the conflict's read finds c-1, and it is
    // answered with the state it left, not done twice.
    let again = three.execute(&tenant, &device, &deposit).await.unwrap();
    assert_eq!((again.balance, again.version.get()), (cents(1000), 2));
    let reused = request(&id, Command::deposit(cents(2)), Some("c-1"));
    assert!(matches!(three.execute(&tenant, &device, &reused).await, Err(LedgerError::CommandIdReused { .. })));
    // `two` read c-1 when its refusal was checked: it answers from its cache.
    assert_eq!(two.execute(&tenant, &device, &deposit).await.unwrap().version.get(), 2);

    // A refusal that holds on the stream is still a refusal.
    let too_much = request(&id, Command::withdraw(cents(100_000)), None);
    assert!(matches!(
        one.execute(&tenant, &device, &too_much).await,
        Err(LedgerError::Domain(DomainError::InsufficientFunds { .. }))
    ));
    let events = one.events(&tenant, &id).await.unwrap();
    assert_eq!(events.len(), 4, "{events:?}");
    assert_eq!(two.account(&tenant, &id).await.unwrap().balance, cents(501));
}
