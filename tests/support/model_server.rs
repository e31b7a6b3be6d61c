//! A server of record in memory for native sync tests: the core's real
//! push rule (`plan_push`) over streams in a map, positions in one global
//! order, and the sync messages the real server answers with. The real
//! server is tested against PostgreSQL (server/tests) and in the e2e tests.

use std::collections::BTreeMap;

use bank_ledger::{
    plan_push, AccountId, Behind, ChainHash, Envelope, Head, Heads, Pulled, Push, PushError, PushPlan, Pushed, Sequence,
    ServerEvent, Tip, Version,
};

pub enum Answer {
    Pushed(Pushed),
    Behind(Behind),
}

#[derive(Default)]
pub struct ModelServer {
    pub id: String,
    streams: BTreeMap<AccountId, Vec<Envelope>>,
    log: Vec<ServerEvent>,
}

impl ModelServer {
    pub fn new(id: &str) -> ModelServer {
        ModelServer { id: id.to_owned(), ..ModelServer::default() }
    }

    pub fn stream(&self, account: &AccountId) -> &[Envelope] {
        self.streams.get(account).map_or(&[], Vec::as_slice)
    }

    pub fn accounts(&self) -> Vec<AccountId> {
        self.streams.keys().cloned().collect()
    }

    pub fn events(&self) -> usize {
        self.log.len()
    }

    pub fn push(&mut self, device: &str, account: &AccountId, push: Push) -> Result<Answer, PushError> {
        let stream = self.streams.entry(account.clone()).or_default();
        let mut tip = Tip::new(account);
        for event in stream.iter() {
            tip.admit(event).expect("the model server's streams are sound");
        }
        let server = self.id.clone();
        let position_of = |log: &[ServerEvent], version: Version| {
            log.iter().find(|e| e.account == *account && e.envelope.version == version).map_or(0, |e| e.position)
        };
        Ok(match plan_push(&tip, stream, push)? {
            PushPlan::Stored { version } => {
                Answer::Pushed(Pushed { server, account: account.clone(), version, position: position_of(&self.log, version) })
            }
            PushPlan::Append { events, .. } => {
                let mut last = (Version::EMPTY, 0);
                for mut envelope in events {
                    let position = self.log.len() as u64 + 1;
                    envelope.sequence = Sequence(position);
                    last = (envelope.version, position);
                    stream.push(envelope.clone());
                    self.log.push(ServerEvent { position, account: account.clone(), device: device.into(), envelope });
                }
                Answer::Pushed(Pushed { server, account: account.clone(), version: last.0, position: last.1 })
            }
            PushPlan::Behind { version, missing } => {
                let missing = missing
                    .into_iter()
                    .map(|envelope| {
                        let position = position_of(&self.log, envelope.version);
                        ServerEvent { position, account: account.clone(), device: "?".into(), envelope }
                    })
                    .collect();
                Answer::Behind(Behind { server, account: account.clone(), version, missing })
            }
        })
    }

    pub fn pull(&self, after: u64, limit: usize) -> Pulled {
        let events: Vec<ServerEvent> = self.log.iter().filter(|e| e.position > after).take(limit).cloned().collect();
        let next = events.last().map_or(after, |e| e.position);
        Pulled { server: self.id.clone(), events, next }
    }

    pub fn account(&self, account: &AccountId, after: Version, limit: usize) -> Pulled {
        let events: Vec<ServerEvent> =
            self.log.iter().filter(|e| e.account == *account && e.envelope.version > after).take(limit).cloned().collect();
        let next = events.last().map_or(after.get(), |e| e.envelope.version.get());
        Pulled { server: self.id.clone(), events, next }
    }

    pub fn heads(&self) -> Heads {
        let accounts = self
            .streams
            .iter()
            .filter_map(|(account, stream)| {
                let last = stream.last()?;
                Some(Head { account: account.clone(), version: last.version, hash: last.hash, position: last.sequence.0 })
            })
            .collect();
        Heads { server: self.id.clone(), accounts }
    }

    /// The head hash of every account, for comparing devices.
    pub fn head_hashes(&self) -> Vec<(AccountId, Version, ChainHash)> {
        self.heads().accounts.into_iter().map(|h| (h.account, h.version, h.hash)).collect()
    }
}
