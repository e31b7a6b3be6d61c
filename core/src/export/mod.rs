//! A whole ledger as portable text (NDJSON), and reading one back with every
//! check the store makes: the app's export and import, and the `verify`
//! command-line tool, all use this one module.
//!
//! ```text
//! {"format":"bank-ledger-export","version":2,"exported_at":…,"accounts":2,"events":5,"heads":{"acc-001":"…",…}}
//! {"account":"acc-001","sequence":1,"version":1,"recorded_at":…,"event_id":"…","event":{…},"hash":"…"}
//! …one line per event, each account's events in version order
//! ```
//!
//! After `account` and this device's `sequence`, a line holds the event's
//! members as the sync API writes them (sync/wire.rs): `command_id` is
//! there when the command had one. `hash` is the
//! chain hash, v2 (store/chain.rs); `heads` holds each account's last hash.

mod read;
mod statement;

pub use read::{read_export, read_server_events, Export, ImportError};
pub use statement::{statement_csv, utc};

use crate::domain::AccountId;
use crate::store::{Envelope, Timestamp};
use crate::sync::write_event_members;

/// What the header's `format` says.
pub const EXPORT_FORMAT: &str = "bank-ledger-export";
/// The version of this layout, the schema's (domain/schema.rs): 2 since
/// hash v2. Files of version 1 (the same lines with hash v1) are read too.
pub const EXPORT_VERSION: u64 = crate::domain::SCHEMA.export_version;

/// The export of `streams` (each account's events, oldest first), taken at
/// `exported_at`.
pub fn write_export(exported_at: Timestamp, streams: &[(AccountId, Vec<Envelope>)]) -> String {
    let mut out = Vec::new();
    let events: usize = streams.iter().map(|(_, e)| e.len()).sum();
    out.extend_from_slice(
        format!(
            "{{\"format\":\"{EXPORT_FORMAT}\",\"version\":{EXPORT_VERSION},\"exported_at\":{},\"accounts\":{},\"events\":{events},\"heads\":{{",
            exported_at.0,
            streams.len()
        )
        .as_bytes(),
    );
    for (n, (account, envelopes)) in streams.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let head = envelopes.last().map(|e| e.hash).unwrap_or_default();
        out.extend_from_slice(format!("\"{account}\":\"{head}\"").as_bytes());
    }
    out.extend_from_slice(b"}}\n");
    for (account, envelopes) in streams {
        for e in envelopes {
            out.extend_from_slice(format!("{{\"account\":\"{account}\",\"sequence\":{},", e.sequence.0).as_bytes());
            write_event_members(&mut out, e);
            out.extend_from_slice(b"}\n");
        }
    }
    // Every piece written is UTF-8: ids, decimals, and escaped text.
    String::from_utf8(out).unwrap_or_default()
}
