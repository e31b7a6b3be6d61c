//! Where an account's events live in Message DB: the stream
//! `{tenant}-{account id}`, so a tenant is a category (the part before the
//! first `-`, which Message DB locks writes by), and each message's id, a
//! UUID derived from the tenant, the account and the event id.

use std::fmt;

use ledger_core::{AccountId, EventId};
use sha2::{Digest, Sha256};

/// Whose accounts: one category of streams. 1 to 32 ASCII letters, digits
/// or `_` (no `-`, which would end the category early).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tenant(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a tenant's name is 1 to 32 ASCII letters, digits or '_'")]
pub struct TenantError;

impl Tenant {
    /// The one tenant of a server without tokens.
    pub fn local() -> Tenant {
        Tenant("ledger".to_owned())
    }

    pub fn parse(text: &str) -> Result<Tenant, TenantError> {
        let valid = (1..=32).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid {
            Ok(Tenant(text.to_owned()))
        } else {
            Err(TenantError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who made an event, kept in its metadata: `http` for a request without a
/// token; the device's name from the tokens file for one with a token. 1 to
/// 64 characters, none a control character, not starting or ending with a
/// space.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Device(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a device's name is 1 to 64 printable characters, not starting or ending with a space")]
pub struct DeviceError;

impl Device {
    pub fn http() -> Device {
        Device("http".to_owned())
    }

    pub fn parse(text: &str) -> Result<Device, DeviceError> {
        let valid = (1..=64).contains(&text.chars().count())
            && text.trim() == text
            && !text.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'));
        if valid {
            Ok(Device(text.to_owned()))
        } else {
            Err(DeviceError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The Message DB stream of `account` for `tenant`.
pub fn stream_name(tenant: &Tenant, account: &AccountId) -> String {
    format!("{tenant}-{account}")
}

/// The message id of an event: the first 16 bytes of SHA-256 over the
/// tenant, the account and the event id (each ended by a 0 byte), marked as
/// a UUID of version 8 (RFC 9562, "custom"). Any event id works, UUID or
/// not, and the same event id in two tenants or accounts makes two ids
/// (Message DB's ids are unique across all streams).
pub fn message_id(tenant: &Tenant, account: &AccountId, event: &EventId) -> String {
    let mut digest = Sha256::new();
    for part in [tenant.as_str(), account.as_str(), event.as_str()] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    let hash = digest.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(hash.get(..16).unwrap_or(&[0; 16]));
    bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    let mut text = String::with_capacity(36);
    for (at, byte) in bytes.iter().enumerate() {
        if matches!(at, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        for digit in [byte >> 4, byte & 0x0f] {
            text.push(char::from_digit(u32::from(digit), 16).unwrap_or('0'));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_are_categories() {
        assert_eq!(Tenant::parse("acme_1").map(|t| t.to_string()), Ok("acme_1".to_owned()));
        for bad in ["", "a-b", "a b", &"x".repeat(33), "é"] {
            assert_eq!(Tenant::parse(bad), Err(TenantError), "{bad:?}");
        }
        let account = AccountId::parse("acc-001").unwrap();
        assert_eq!(stream_name(&Tenant::local(), &account), "ledger-acc-001");
    }

    #[test]
    fn device_names_are_printable_and_short() {
        for ok in ["laptop", "Alice's phone", "é", &"x".repeat(64), &"é".repeat(64)] {
            assert_eq!(Device::parse(ok).map(|d| d.as_str().to_owned()), Ok(ok.to_owned()));
        }
        for bad in ["", " a", "a ", "a\tb", "a\nb", "\u{0}", "\u{7f}", "a\u{2028}b", &"x".repeat(65)] {
            assert_eq!(Device::parse(bad), Err(DeviceError), "{bad:?}");
        }
    }

    #[test]
    fn message_ids_are_uuids_apart_per_tenant_and_account() {
        let account = AccountId::parse("acc-001").unwrap();
        let other = AccountId::parse("acc-002").unwrap();
        let event = EventId::parse("not_a_uuid").unwrap();
        let id = message_id(&Tenant::local(), &account, &event);
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'8', "{id}");
        assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'), "{id}");
        assert_eq!(id, message_id(&Tenant::local(), &account, &event), "deterministic");
        assert_ne!(id, message_id(&Tenant::parse("other").unwrap(), &account, &event));
        assert_ne!(id, message_id(&Tenant::local(), &other, &event));
    }
}
