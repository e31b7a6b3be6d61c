//! One schema number for the event vocabulary (the kinds of event and
//! their fields, domain/kind.rs), and every format number that follows
//! from it. A new kind, or a new field of a kind, is a new schema: a row
//! here, with every number after it moved at once, so an older build meets
//! "a newer format" in storage, between tabs, in an export file and in
//! sync, never an event it would misread.
//!
//! The numbers keep their own histories (the segment format and the tab
//! protocol were at 3, the export at version 2, when the schema was first
//! numbered): the table maps each schema to them instead of deriving them
//! by arithmetic.

/// One schema and the numbers of the formats that carry its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schema {
    /// The vocabulary's number: what a sync answer announces and a device
    /// compares with its own (docs/sync-protocol.md, version 3).
    pub number: u32,
    /// Written at the head of every segment (docs/storage-format.md).
    pub segment_format: u32,
    /// The first line of every tab message (src/browser/coordination/wire.rs).
    pub tab_protocol: u32,
    /// An export file's `version`.
    pub export_version: u64,
}

/// Every schema, oldest first: a row is never changed once released.
pub const SCHEMAS: [Schema; 1] = [
    // Open, deposit, withdraw: the original example's three kinds.
    Schema { number: 1, segment_format: 3, tab_protocol: 3, export_version: 2 },
];

/// The schema this build writes and reads: the table's last row.
// Evaluated at compile time: an index out of bounds would not compile.
#[allow(clippy::indexing_slicing)]
pub const SCHEMA: Schema = SCHEMAS[SCHEMAS.len() - 1];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_new_schema_moves_every_number() {
        for pair in SCHEMAS.windows(2) {
            let [old, new] = pair else { unreachable!() };
            assert_eq!(new.number, old.number + 1, "schemas count up by one");
            assert!(new.segment_format > old.segment_format, "{new:?} keeps the segment format of {old:?}");
            assert!(new.tab_protocol > old.tab_protocol, "{new:?} keeps the tab protocol of {old:?}");
            assert!(new.export_version > old.export_version, "{new:?} keeps the export version of {old:?}");
        }
        assert_eq!(SCHEMAS[0].number, 1);
    }

    /// Every kind is in some schema up to this build's.
    #[test]
    fn every_kind_is_of_a_known_schema() {
        for kind in super::super::KINDS {
            assert!((1..=SCHEMA.number).contains(&kind.since), "{kind:?}");
        }
    }
}
