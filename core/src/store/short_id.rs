//! Event ids as segment lines keep them: a lowercase UUID as its 16 bytes
//! in 22 base64url characters (the last carries two bits), any other id as
//! `~` and its text. Hand-written, as it has been since format 2; whether
//! the `uuid` and `base64` crates would do it for no more download is not
//! measured yet.

use super::EventId;

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(super) fn encode_event_id(out: &mut String, id: &EventId) {
    match uuid_bytes(id.as_str()) {
        Some(bytes) => {
            let value = u128::from_be_bytes(bytes);
            // 21 digits of 6 bits carry the top 126 bits; the last digit
            // carries the low 2 bits, shifted left by 4.
            let digits = (0..21u32).map(|p| (value >> (122 - 6 * p)) & 63).chain([(value & 3) << 4]);
            for digit in digits {
                out.push(char::from(BASE64URL.get(usize::try_from(digit).unwrap_or(0)).copied().unwrap_or(b'A')));
            }
        }
        None => {
            out.push('~');
            out.push_str(id.as_str());
        }
    }
}

pub(super) fn decode_event_id(text: &str) -> Result<EventId, String> {
    if let Some(literal) = text.strip_prefix('~') {
        if uuid_bytes(literal).is_some() {
            return Err("a UUID event id is written in its short form".into());
        }
        return EventId::parse(literal).map_err(|e| e.to_string());
    }
    if text.len() != 22 {
        return Err("the event id is neither a short UUID nor marked with ~".into());
    }
    let mut value: u128 = 0;
    for (position, byte) in text.bytes().enumerate() {
        let digit = BASE64URL.iter().position(|&b| b == byte).ok_or("the event id is not base64url")?;
        let digit = u128::try_from(digit).unwrap_or(0);
        if position == 21 {
            if digit & 0b1111 != 0 {
                return Err("the event id has stray bits".into());
            }
            value = (value << 2) | (digit >> 4);
        } else {
            value = (value << 6) | digit;
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut uuid = String::with_capacity(36);
    for nibble in 0..32u32 {
        if matches!(nibble, 8 | 12 | 16 | 20) {
            uuid.push('-');
        }
        let digit = (value >> (124 - 4 * nibble)) & 15;
        uuid.push(char::from(HEX.get(usize::try_from(digit).unwrap_or(0)).copied().unwrap_or(b'0')));
    }
    EventId::parse(&uuid).map_err(|e| e.to_string())
}

/// The 16 bytes of a lowercase, hyphenated UUID; `None` for anything else.
fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut nibbles = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let nibble = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        let slot = out.get_mut(nibbles / 2)?;
        *slot = (*slot << 4) | nibble;
        nibbles += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_take_22_characters_and_come_back_the_same() {
        for id in [
            "f1d3b633-ebe9-446a-ae42-02570d4df985",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
        ] {
            let mut out = String::new();
            encode_event_id(&mut out, &EventId::parse(id).unwrap_or_else(|e| unreachable!("{e}")));
            assert_eq!(out.len(), 22, "{out}");
            assert_eq!(decode_event_id(&out).map(String::from), Ok(id.to_owned()));
        }
        // Upper case is not the canonical form: kept as written.
        let mut out = String::new();
        encode_event_id(
            &mut out,
            &EventId::parse("F1D3B633-EBE9-446A-AE42-02570D4DF985").unwrap_or_else(|e| unreachable!("{e}")),
        );
        assert!(out.starts_with('~'));
    }
}
