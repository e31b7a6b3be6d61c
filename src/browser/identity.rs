//! The browser's clock and event ids.

use crate::clock::{Clock, IdGenerator};
use crate::store::{CommandId, EventId, Timestamp};

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

/// A fresh random command id, for a click or a request to another tab.
pub fn new_command_id() -> CommandId {
    let id = RandomIds.next_id();
    // An event id is a valid command id: the two share their alphabet.
    CommandId::parse(id.as_str()).unwrap_or_else(|_| unreachable!("{id} is a valid command id"))
}
