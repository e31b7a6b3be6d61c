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
        EventId::random_uuid(random_bytes())
    }
}

/// A fresh random command id for a request to another tab: 96 random bits
/// (collisions within one account are out of reach).
pub fn new_command_id() -> CommandId {
    let bytes = random_bytes();
    CommandId::random(std::array::from_fn(|i| bytes.get(i).copied().unwrap_or(0)))
}
