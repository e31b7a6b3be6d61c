//! JSON, both ways, without serde_json in the app (docs/encodings.md has
//! what it would cost): a small strict reader for format 1's records and
//! export files (`read.rs`), and the writer of the original's event JSON and
//! the export's lines (`write.rs`).

mod read;
mod write;

pub use read::{Fields, Json};
pub(crate) use write::write_units;
pub use write::{write_event_json, write_json_string};
