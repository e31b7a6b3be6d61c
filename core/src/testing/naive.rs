//! The original design, kept as a yardstick for the benchmarks: one key per
//! account holding a JSON array of all its envelopes, and a command that
//! replays the whole stream every time ([`execute_replaying`]).
//!
//! ```text
//! {namespace}/naive/{account id}   [{"version":1,"sequence":1,"recorded_at":…,"event_id":…,
//!                                    "event":{…},"hash":"…"}, …]
//! {namespace}/naive-sequence       the last global sequence number, in decimal
//! ```
//!
//! An append reads the whole array, parses it, pushes the new envelopes and
//! writes the whole array back: O(n) time and O(n) bytes written per command.
//! It computes the same hash chain as [`crate::store::KvStore`], so the two do
//! comparable work per event. It is not used by the app; it sits above
//! both the store and the ledger, so neither depends on it.

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, IdGenerator};
use crate::domain::{AccountId, AccountState, BankAccount, Command, DomainError, Event, ExpectedVersion, Facts, Version};
use crate::ledger::LedgerError;
use crate::store::{
    read_admitted, ChainHash, CommandId, Damage, Envelope, EventId, EventStore, KeyValue, KvError, NewEvent, Sequence,
    StoreError, StreamList, Timestamp, Tip, SCHEMA_VERSION,
};

/// One element of a stream's array.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    version: Version,
    sequence: Sequence,
    recorded_at: Timestamp,
    event_id: EventId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command_id: Option<CommandId>,
    event: Event,
    hash: ChainHash,
}

impl Record {
    fn into_envelope(self) -> Envelope {
        Envelope {
            version: self.version,
            sequence: self.sequence,
            recorded_at: self.recorded_at,
            event_id: self.event_id,
            command_id: self.command_id,
            schema: SCHEMA_VERSION,
            event: self.event,
            hash: self.hash,
        }
    }

    fn from_envelope(envelope: &Envelope) -> Record {
        Record {
            version: envelope.version,
            sequence: envelope.sequence,
            recorded_at: envelope.recorded_at,
            event_id: envelope.event_id.clone(),
            command_id: envelope.command_id.clone(),
            event: envelope.event.clone(),
            hash: envelope.hash,
        }
    }
}

/// The event store of the original design over a key-value map.
#[derive(Debug)]
pub struct NaiveStore<K> {
    kv: K,
    /// `{namespace}/naive/`: every stream's key starts with it.
    prefix: String,
    sequence_key: String,
}

fn kv_error(error: KvError) -> StoreError {
    match error {
        KvError::QuotaExceeded => StoreError::Full,
        KvError::Unavailable(reason) => StoreError::Unavailable { reason },
    }
}

fn version_of(len: usize) -> Version {
    Version::new(u64::try_from(len).unwrap_or(u64::MAX))
}

impl<K: KeyValue> NaiveStore<K> {
    /// A store whose keys all start with `{namespace}/naive`.
    pub fn new(kv: K, namespace: &str) -> NaiveStore<K> {
        NaiveStore { kv, prefix: format!("{namespace}/naive/"), sequence_key: format!("{namespace}/naive-sequence") }
    }

    pub fn kv(&self) -> &K {
        &self.kv
    }

    pub fn kv_mut(&mut self) -> &mut K {
        &mut self.kv
    }

    /// The key that holds the whole stream of `stream`.
    pub fn key(&self, stream: &AccountId) -> String {
        format!("{}{stream}", self.prefix)
    }

    /// The stream's records, checked to run 1, 2, 3, …; empty when the key
    /// is absent.
    fn load(&self, stream: &AccountId) -> Result<Vec<Record>, StoreError> {
        let key = self.key(stream);
        let Some(text) = self.kv.get(&key).map_err(kv_error)? else {
            return Ok(Vec::new());
        };
        let records: Vec<Record> = serde_json::from_str(&text)
            .map_err(|error| StoreError::Corrupt { key: key.clone(), reason: format!("not a stream array: {error}") })?;
        let mut expected = Version::EMPTY;
        for record in &records {
            expected = expected.next();
            if record.version != expected {
                return Err(StoreError::Corrupt {
                    key,
                    reason: format!("element {expected} of the array says version {}", record.version),
                });
            }
        }
        Ok(records)
    }

    fn read_sequence(&self) -> Result<(Option<String>, u64), StoreError> {
        let Some(text) = self.kv.get(&self.sequence_key).map_err(kv_error)? else {
            return Ok((None, 0));
        };
        match text.parse::<u64>() {
            Ok(value) if text.bytes().all(|b| b.is_ascii_digit()) => Ok((Some(text), value)),
            _ => Err(StoreError::Corrupt {
                key: self.sequence_key.clone(),
                reason: "the sequence counter is not a whole number".into(),
            }),
        }
    }
}

impl<K: KeyValue> EventStore for NaiveStore<K> {
    fn read(&self, stream: &AccountId, after: Version) -> Result<Vec<Envelope>, StoreError> {
        let records = self.load(stream)?;
        let actual = version_of(records.len());
        if after > actual {
            return Err(StoreError::Conflict { stream: stream.clone(), expected: after, actual });
        }
        let skip = usize::try_from(after.get()).unwrap_or(usize::MAX);
        Ok(records.into_iter().skip(skip).map(Record::into_envelope).collect())
    }

    fn append(
        &mut self,
        stream: &AccountId,
        ExpectedVersion(expected): ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Envelope>, StoreError> {
        // Read and parse the whole stream, as the original did.
        let mut records = self.load(stream)?;
        let actual = version_of(records.len());
        if actual != expected {
            return Err(StoreError::Conflict { stream: stream.clone(), expected, actual });
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (old_sequence, first) = self.read_sequence()?;
        let count = u64::try_from(events.len()).unwrap_or(u64::MAX);
        let last = first.checked_add(count).ok_or_else(|| StoreError::Corrupt {
            key: self.sequence_key.clone(),
            reason: "the sequence counter is exhausted".into(),
        })?;

        let mut previous = records.last().map_or(ChainHash::GENESIS, |r| r.hash);
        let mut version = expected;
        let mut sequence = first;
        let mut envelopes = Vec::with_capacity(events.len());
        for event in events {
            version = version.next();
            sequence += 1;
            let mut envelope = event.into_envelope(version, Sequence(sequence));
            envelope.hash = ChainHash::link(&previous, stream, &envelope);
            previous = envelope.hash;
            records.push(Record::from_envelope(&envelope));
            envelopes.push(envelope);
        }
        // Serializing cannot fail: strings, integers and finite floats only.
        let text = serde_json::to_string(&records).unwrap_or_else(|e| unreachable!("array serialization failed: {e}"));

        // The counter first, then the whole array in one write; if the array
        // does not fit, the counter is put back and nothing of it stays.
        self.kv.set(&self.sequence_key, &last.to_string()).map_err(kv_error)?;
        if let Err(error) = self.kv.set(&self.key(stream), &text) {
            // Only storage going away entirely can make this fail; the
            // error that got us here is the one to report.
            let _ = match old_sequence {
                Some(old) => self.kv.set(&self.sequence_key, &old),
                None => self.kv.remove(&self.sequence_key),
            };
            return Err(kv_error(error));
        }
        Ok(envelopes)
    }

    fn streams(&self) -> Result<StreamList, StoreError> {
        let mut ids = Vec::new();
        let mut damaged = Vec::new();
        for key in self.kv.keys().map_err(kv_error)? {
            let Some(name) = key.strip_prefix(&self.prefix) else {
                continue;
            };
            match AccountId::parse(name) {
                Ok(id) => ids.push(id),
                Err(_) => damaged.push(Damage { key, reason: "not a key this store writes".into() }),
            }
        }
        ids.sort();
        damaged.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(StreamList { ids, damaged })
    }

    fn read_from(&self, stream: &AccountId, tip: &mut Tip, until: Option<Version>) -> Result<Vec<Envelope>, StoreError> {
        read_admitted(self, stream, tip, until, |_| self.key(stream))
    }
}

/// Runs `command` against account `id` as the original server did: read
/// every event of the stream, fold them into a [`BankAccount`], decide, and
/// append at the version read. Nothing is cached between calls, so the cost
/// grows with the stream (and, over a [`NaiveStore`], so does the append).
pub fn execute_replaying<S: EventStore>(
    store: &mut S,
    clock: &impl Clock,
    ids: &mut impl IdGenerator,
    id: &AccountId,
    command: &Command,
) -> Result<AccountState, LedgerError> {
    let history = store.read(id, Version::EMPTY)?;
    let mut account = BankAccount::replay(id.clone(), history.iter().map(|envelope| &envelope.event));
    let events = account.decide(command, &Facts::NONE)?;
    let new_events = events
        .into_iter()
        .map(|event| NewEvent { event_id: ids.next_id(), recorded_at: clock.now(), command_id: None, event })
        .collect();
    let stored = store.append(id, ExpectedVersion(account.version()), new_events)?;
    for envelope in &stored {
        account.apply(&envelope.event);
    }
    account.state().ok_or_else(|| DomainError::AccountNotFound { id: id.clone() }.into())
}
