//! The small encodings the formats share, each written once: canonical
//! decimal integers, lowercase hex, unpadded base64url, lowercase UUID text,
//! escaped text fields for line-based formats, and the checksum that seals
//! a stored value. The formats themselves (segments, snapshots, the tab
//! messages, keys, the counter, the export) are built from these.
//!
//! Hand-written rather than taken from the `hex`, `base64` and `uuid`
//! crates: docs/encodings.md has the measured download each would add.
//!
//! "Canonical" means there is exactly one way to write each value, so that
//! a stored text decodes and encodes back to the same bytes: no leading
//! zeros, no `+`, no `-0`, lowercase hex digits, no stray bits in base64.

use std::fmt::Write;

/// A whole number as written by `to_string`: `0`, or digits without a
/// leading zero. Anything else (empty, `+1`, `01`, ` 1`, past `u64::MAX`)
/// is `None`.
pub fn parse_decimal(text: &str) -> Option<u64> {
    let canonical = (text == "0" || !text.starts_with('0')) && !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    canonical.then(|| text.parse().ok()).flatten()
}

/// A signed whole number as written by `to_string`, of at most 20 digits:
/// [`parse_decimal`]'s rules, with a leading `-` on anything but zero.
pub fn parse_signed_decimal(text: &str) -> Option<i128> {
    match text.strip_prefix('-') {
        Some("0") => None,
        Some(digits) if digits.len() <= 20 => parse_decimal(digits).map(|n| -i128::from(n)),
        Some(_) => None,
        None => parse_decimal(text).map(i128::from),
    }
}

/// Appends `bytes` as lowercase hex digits.
pub fn write_hex(out: &mut String, bytes: &[u8]) {
    for byte in bytes {
        for digit in [byte >> 4, byte & 15] {
            out.push(char::from_digit(u32::from(digit), 16).unwrap_or('0'));
        }
    }
}

/// Exactly `2 * N` lowercase hex digits as `N` bytes.
pub fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let value = |digit: u8| match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0u8; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = (value(*high)? << 4) | value(*low)?;
    }
    Some(bytes)
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Appends `bytes` in base64url without padding (RFC 4648, section 5).
pub fn write_base64url(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.chunks(3) {
        let bits = chunk.iter().enumerate().fold(0u32, |bits, (i, &b)| bits | u32::from(b) << (16 - 8 * i));
        // 1, 2 or 3 bytes make 2, 3 or 4 digits.
        for digit in 0..=chunk.len() {
            let sextet = (bits >> (18 - 6 * digit)) & 63;
            out.push(BASE64URL.get(sextet as usize).map_or('A', |&d| char::from(d)));
        }
    }
}

/// Unpadded base64url that [`write_base64url`] wrote for `N` bytes: the
/// right length, and no stray bits in the last digit.
pub fn parse_base64url<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != (4 * N).div_ceil(3) {
        return None;
    }
    let mut bytes = [0u8; N];
    for (chunk, out) in digits.chunks(4).zip(bytes.chunks_mut(3)) {
        let mut bits = 0u32;
        for (i, &digit) in chunk.iter().enumerate() {
            let value = BASE64URL.iter().position(|&d| d == digit)?;
            bits |= u32::try_from(value).ok()? << (18 - 6 * i);
        }
        let kept = u32::try_from(8 * out.len()).ok()?;
        if bits & (0x00ff_ffff >> kept) != 0 {
            return None;
        }
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = (bits >> (16 - 8 * i)).to_be_bytes()[3];
        }
    }
    Some(bytes)
}

/// A UUID's 16 bytes as its lowercase, hyphenated text
/// (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).
pub fn uuid_text(bytes: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, group) in [0..4, 4..6, 6..8, 8..10, 10..16].into_iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        write_hex(&mut out, bytes.get(group).unwrap_or_default());
    }
    out
}

/// The bytes of a UUID written as [`uuid_text`] writes it; `None` for any
/// other text, uppercase included.
pub fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let digits = text.as_bytes();
    if digits.len() != 36 {
        return None;
    }
    let mut hex = [0u8; 32];
    let mut next = hex.iter_mut();
    for (at, &digit) in digits.iter().enumerate() {
        match matches!(at, 8 | 13 | 18 | 23) {
            true if digit != b'-' => return None,
            true => {}
            false => *next.next()? = digit,
        }
    }
    parse_hex(std::str::from_utf8(&hex).ok()?)
}

/// A field of free text on one line: `\` as `\\` and a newline as `\n`.
pub fn escape_line(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A text as one comma-separated field of a line: [`escape_line`]'s
/// escapes, and `,` as `\c`, so the field holds no comma.
pub fn escape_field(text: &str) -> String {
    escape_line(text).replace(',', "\\c")
}

/// The text [`escape_field`] escaped; `None` for any other escape.
pub fn unescape_field(field: &str) -> Option<String> {
    unescape(field, true)
}

/// The text [`escape_line`] escaped; `None` for any other escape.
pub fn unescape_line(field: &str) -> Option<String> {
    unescape(field, false)
}

fn unescape(field: &str, commas: bool) -> Option<String> {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'c' if commas => out.push(','),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    Some(out)
}

/// `{checksum} {covered}`: a stored value that any edit which does not
/// redo the checksum is caught in. The checksum is [`checksum`] in 16 hex
/// digits.
pub fn seal(covered: &str) -> String {
    let mut out = String::with_capacity(covered.len() + 17);
    // Writing to a String cannot fail.
    let _ = write!(out, "{:016x} {covered}", checksum(covered));
    out
}

/// What [`seal`] sealed, if its checksum still matches; `Err` says why not.
pub fn unseal(text: &str) -> Result<&str, &'static str> {
    let (stored, covered) = text.split_once(' ').ok_or("it has no checksum")?;
    let mut expected = String::with_capacity(16);
    let _ = write!(expected, "{:016x}", checksum(covered));
    (stored == expected).then_some(covered).ok_or("the checksum does not match: it was changed after it was written")
}

/// The checksum of sealed values: 64 bits, eight bytes at a time. Starting
/// from the length, each little-endian word `w` (the last one padded with
/// zeros) makes `h = (rotate_left(h, 5) ^ w) * 0x9e3779b97f4a7c15`, and the
/// result is `h ^ (h >> 32)`. Every step is a bijection of `h`, so changing
/// any one word always changes it. Not a defence against forgery (the hash
/// chain is that): a guard against any edit, cheap enough to run over every
/// value a read touches.
pub fn checksum(text: &str) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes = text.as_bytes();
    let mut hash = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut buffer = [0u8; 8];
        buffer.copy_from_slice(word);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(buffer)).wrapping_mul(K);
    }
    let mut last = [0u8; 8];
    for (slot, byte) in last.iter_mut().zip(words.remainder()) {
        *slot = *byte;
    }
    hash = (hash.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    hash ^ (hash >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_have_one_spelling() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
        for bad in ["", "00", "01", "+1", "-1", " 1", "1 ", "1.0", "18446744073709551616", "١"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
        assert_eq!(parse_signed_decimal("-12"), Some(-12));
        assert_eq!(parse_signed_decimal("-18446744073709551615"), Some(-i128::from(u64::MAX)));
        for bad in ["-0", "--1", "-", "-01", "+0"] {
            assert_eq!(parse_signed_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hex_is_lowercase_and_exact() {
        let mut text = String::new();
        write_hex(&mut text, &[0x00, 0xab, 0xff]);
        assert_eq!(text, "00abff");
        assert_eq!(parse_hex::<3>("00abff"), Some([0x00, 0xab, 0xff]));
        for bad in ["00ABff", "00abf", "00abfff", "00abfg", "+0abff"] {
            assert_eq!(parse_hex::<3>(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn base64url_matches_rfc_4648_and_refuses_stray_bits() {
        // RFC 4648's test vectors, without padding.
        for (bytes, text) in [(&b"f"[..], "Zg"), (b"fo", "Zm8"), (b"foo", "Zm9v"), (b"foob", "Zm9vYg"), (b"fooba", "Zm9vYmE")] {
            let mut out = String::new();
            write_base64url(&mut out, bytes);
            assert_eq!(out, text);
        }
        let mut out = String::new();
        write_base64url(&mut out, &[0xfb, 0xff]);
        assert_eq!(out, "-_8");
        assert_eq!(parse_base64url::<2>("-_8"), Some([0xfb, 0xff]));
        assert_eq!(parse_base64url::<5>("Zm9vYmE"), Some(*b"fooba"));
        for bad in ["-_9", "-_", "-_8A", "+/8"] {
            assert_eq!(parse_base64url::<2>(bad), None, "{bad:?}");
        }
        for n in 0..=255u8 {
            let bytes = [n, n.wrapping_mul(7), 255 - n, n ^ 0x5a];
            let mut text = String::new();
            write_base64url(&mut text, &bytes);
            assert_eq!(parse_base64url::<4>(&text), Some(bytes));
        }
    }

    #[test]
    fn uuids_are_lowercase_and_hyphenated() {
        let bytes: [u8; 16] = std::array::from_fn(|i| u8::try_from(i * 17).unwrap_or(0));
        let text = uuid_text(&bytes);
        assert_eq!(text, "00112233-4455-6677-8899-aabbccddeeff");
        assert_eq!(parse_uuid(&text), Some(bytes));
        for bad in
            ["00112233-4455-6677-8899-AABBCCDDEEFF", "0011223344556677-8899-aabbccddeeff", "00112233445566778899aabbccddeeff"]
        {
            assert_eq!(parse_uuid(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn escaped_lines_come_back_the_same() {
        for text in ["", "a\\nb", "line\n2 \\", "\\\\\n\n"] {
            let field = escape_line(text);
            assert!(!field.contains('\n'));
            assert_eq!(unescape_line(&field).as_deref(), Some(text));
        }
        assert_eq!(unescape_line("\\x"), None);
        for text in ["", "a,b", "\\c", "a\\,\n,", ",,"] {
            let field = escape_field(text);
            assert!(!field.contains(',') && !field.contains('\n'), "{field:?}");
            assert_eq!(unescape_field(&field).as_deref(), Some(text), "{field:?}");
        }
        assert_eq!(unescape_line("\\"), None);
    }

    #[test]
    fn a_sealed_value_opens_only_unchanged() {
        let sealed = seal("abc\ndef");
        assert_eq!(unseal(&sealed), Ok("abc\ndef"));
        assert!(unseal(&sealed.replace("def", "deg")).is_err());
        assert!(unseal("nochecksum").is_err());
    }
}
