//! Event ids as segment lines keep them: a lowercase UUID as its 16 bytes
//! in 22 base64url characters (the last carries two bits), any other id as
//! `~` and its text. The encodings themselves are `crate::encoding`'s.

use super::EventId;
use crate::encoding::{parse_base64url, parse_uuid, uuid_text, write_base64url};

pub(super) fn encode_event_id(out: &mut String, id: &EventId) {
    match parse_uuid(id.as_str()) {
        Some(bytes) => write_base64url(out, &bytes),
        None => {
            out.push('~');
            out.push_str(id.as_str());
        }
    }
}

pub(super) fn decode_event_id(text: &str) -> Result<EventId, String> {
    if let Some(literal) = text.strip_prefix('~') {
        if parse_uuid(literal).is_some() {
            return Err("a UUID event id is written in its short form".into());
        }
        return EventId::parse(literal).map_err(|e| e.to_string());
    }
    let bytes =
        parse_base64url::<16>(text).ok_or("the event id is neither a short UUID (22 base64url characters) nor marked with ~")?;
    EventId::parse(&uuid_text(&bytes)).map_err(|e| e.to_string())
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
            encode_event_id(&mut out, &EventId::parse(id).unwrap());
            assert_eq!(out.len(), 22, "{out}");
            assert_eq!(decode_event_id(&out).map(String::from), Ok(id.to_owned()));
        }
        // Upper case is not the canonical form: kept as written.
        let mut out = String::new();
        encode_event_id(&mut out, &EventId::parse("F1D3B633-EBE9-446A-AE42-02570D4DF985").unwrap());
        assert!(out.starts_with('~'));
    }
}
