//! The browser's clock and event ids.

use crate::{Clock, CommandId, EventId, IdGenerator, Timestamp};

/// `Date.now()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserClock;

impl Clock for BrowserClock {
    fn now(&self) -> Timestamp {
        // Date.now() is a whole, non-negative number of milliseconds; the
        // `as` cast saturates on anything else rather than failing.
        Timestamp(js_sys::Date::now() as u64)
    }
}

/// Random (version 4) UUIDs from `crypto.getRandomValues`, which, unlike
/// `crypto.randomUUID`, also works outside secure contexts.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto: Math.random still makes collisions vanishingly rare.
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

impl IdGenerator for RandomIds {
    fn next_id(&mut self) -> EventId {
        let mut bytes = random_bytes();
        bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
        let mut uuid = String::with_capacity(36);
        for (index, byte) in bytes.iter().enumerate() {
            if matches!(index, 4 | 6 | 8 | 10) {
                uuid.push('-');
            }
            uuid.push_str(&format!("{byte:02x}"));
        }
        // 32 hex digits and four dashes: always a valid event id.
        EventId::parse(&uuid).unwrap_or_else(|_| unreachable!("{uuid:?} is a valid event id"))
    }
}

/// A fresh random command id for a request to another tab: 96 random bits
/// in 16 base64url characters (it is stored with the event, so it is kept
/// short; collisions within one account are out of reach).
pub fn new_command_id() -> CommandId {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = random_bytes();
    let bits = bytes.iter().take(12).fold(0u128, |bits, &b| (bits << 8) | u128::from(b));
    let id: String =
        (0..16u32).map(|i| char::from(ALPHABET.get(((bits >> (90 - 6 * i)) & 63) as usize).copied().unwrap_or(b'A'))).collect();
    // 16 characters of the id alphabet: always a valid command id.
    CommandId::parse(&id).unwrap_or_else(|_| unreachable!("{id} is a valid command id"))
}
