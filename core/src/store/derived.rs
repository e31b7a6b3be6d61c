//! The identity of a derived event: one made from a source (a transfer's
//! credit from its debit, an imported bank row from its file) rather than
//! decided with a fresh id. Every party that makes it — the writing tab,
//! another device, the server — computes the same id from the same source,
//! so two copies of it are recognised as one (docs/event-identity.md,
//! "Derived events"): a device's pending copy that the server holds is
//! confirmed, never rejected.

use sha2::{Digest, Sha256};

use super::EventId;
use crate::encoding::uuid_text;

/// What the hash starts with: a derived id is never the hash of anything else.
const TAG: &[u8] = b"bank-ledger derived v1\0";

/// The id of the event derived for `purpose` (`"transfer-credit"`,
/// `"bank-row"`, …) from `parts` of its source, in a fixed order: a UUID of
/// version 8 (RFC 9562, custom) from the first 16 bytes of
/// `SHA-256(tag ‖ purpose ‖ 0 ‖ (length as 8 bytes big-endian ‖ part)…)`.
/// Each part is prefixed by its length, so no two lists of parts collide.
pub fn derived_event_id(purpose: &str, parts: &[&[u8]]) -> EventId {
    let mut digest = Sha256::new();
    digest.update(TAG);
    digest.update(purpose.as_bytes());
    digest.update([0]);
    for part in parts {
        digest.update(u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
        digest.update(part);
    }
    let hash = digest.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(hash.get(..16).unwrap_or(&[0; 16]));
    bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
    EventId::from_uuid_text(uuid_text(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_id_is_the_same_for_every_party_and_names_its_source() {
        let debit = b"0b6f1c52-8f0e-4d4b-9a51-6d3c1f7e2a01";
        let id = derived_event_id("transfer-credit", &[b"acc-001", debit]);
        // Computed independently with Python's hashlib from the rule above.
        assert_eq!(id.as_str(), "ef5fbbdc-a804-80f2-8c8d-c1c62ba9995d");
        assert_eq!(EventId::parse(id.as_str()), Ok(id.clone()), "a valid event id");
        assert_eq!(derived_event_id("transfer-credit", &[b"acc-001", debit]), id, "the same source, the same id");
        assert_ne!(derived_event_id("bank-row", &[b"acc-001", debit]), id, "another purpose");
        assert_ne!(derived_event_id("transfer-credit", &[b"acc-00", b"1", debit]), id, "parts are delimited");
        assert_ne!(derived_event_id("transfer-credit", &[b"acc-001"]), id);
    }
}
