//! A small strict JSON reader, enough for format 1's records (legacy.rs)
//! and export files.

use std::collections::HashSet;

use crate::domain::{Event, FieldType, Kind, Money, Owner, Read, Values, SCHEMA};

/// A parsed JSON value. Numbers are kept as their text, for the caller to
/// read exactly as it needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in their order; a repeated name is an error at parse time.
    Object(Vec<(String, Json)>),
}

/// Deeper nesting than this is refused (no record comes close).
const MAX_DEPTH: usize = 16;

impl Json {
    pub fn parse(text: &str) -> Result<Json, String> {
        let mut parser = Parser { bytes: text.as_bytes(), at: 0 };
        let value = parser.value(0)?;
        parser.space();
        if parser.at != parser.bytes.len() {
            return Err(format!("unexpected text at byte {}", parser.at));
        }
        Ok(value)
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", char::from(byte), self.at))
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.bytes.get(self.at..self.at + word.len()) == Some(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(format!("unexpected text at byte {}", self.at))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        self.space();
        match self.peek().ok_or("unexpected end")? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Json::String),
            b'n' => self.literal("null", Json::Null),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'-' | b'0'..=b'9' => self.number(),
            other => Err(format!("unexpected '{}' at byte {}", char::from(other), self.at)),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, String> {
        self.at += 1;
        let mut members: Vec<(String, Json)> = Vec::new();
        self.space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Json::Object(members));
        }
        // Names seen, for the duplicate check: a set, so an object of many
        // members costs linear time (a hostile file can have 100,000s).
        let mut names: HashSet<String> = HashSet::new();
        loop {
            self.space();
            if self.peek() != Some(b'"') {
                return Err(format!("expected a name at byte {}", self.at));
            }
            let name = self.string()?;
            if !names.insert(name.clone()) {
                return Err(format!("duplicate field `{name}`"));
            }
            self.expect(b':')?;
            let value = self.value(depth + 1)?;
            members.push((name, value));
            self.space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(format!("expected ',' or '}}' at byte {}", self.at)),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, String> {
        self.at += 1;
        let mut items = Vec::new();
        self.space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(format!("expected ',' or ']' at byte {}", self.at)),
            }
        }
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.at;
        let digits = |p: &mut Parser<'_>| {
            let from = p.at;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.at += 1;
            }
            p.at > from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(format!("a malformed number at byte {start}"));
                }
            }
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(format!("a malformed number at byte {start}")),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !digits(self) {
                return Err(format!("a malformed number at byte {start}"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !digits(self) {
                return Err(format!("a malformed number at byte {start}"));
            }
        }
        let text = std::str::from_utf8(self.bytes.get(start..self.at).unwrap_or_default()).unwrap_or_default();
        Ok(Json::Number(text.to_owned()))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let text = self.bytes.get(self.at..self.at + 4).ok_or("a cut-short \\u escape")?;
        let text = std::str::from_utf8(text).map_err(|_| "a bad \\u escape")?;
        let value = u32::from_str_radix(text, 16).map_err(|_| "a bad \\u escape")?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a bad \\u escape".into());
        }
        self.at += 4;
        Ok(value)
    }

    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while !matches!(self.peek(), None | Some(b'"' | b'\\' | 0x00..=0x1f)) {
                self.at += 1;
            }
            // The input is a &str and the run stops at ASCII: valid UTF-8.
            out.push_str(std::str::from_utf8(self.bytes.get(start..self.at).unwrap_or_default()).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escape = self.peek().ok_or("a cut-short escape")?;
                    self.at += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&first) {
                                if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                                    return Err("a lone surrogate".into());
                                }
                                self.at += 2;
                                let second = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&second) {
                                    return Err("a lone surrogate".into());
                                }
                                0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
                            } else {
                                first
                            };
                            out.push(char::from_u32(code).ok_or("a lone surrogate")?);
                        }
                        _ => return Err(format!("a bad escape at byte {}", self.at - 1)),
                    }
                }
                _ => return Err("an unterminated string or a control character in it".into()),
            }
        }
    }
}

/// A JSON object's members, taken one by one; any left over is an unknown
/// field.
pub struct Fields(Vec<(String, Json)>);

impl Fields {
    pub fn of(json: Json) -> Result<Fields, String> {
        match json {
            Json::Object(members) => Ok(Fields(members)),
            Json::Null | Json::Bool(_) | Json::Number(_) | Json::String(_) | Json::Array(_) => Err("not a JSON object".into()),
        }
    }

    pub fn take(&mut self, name: &str) -> Option<Json> {
        let at = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.remove(at).1)
    }

    pub fn string(&mut self, name: &str) -> Result<String, String> {
        match self.take(name) {
            Some(Json::String(text)) => Ok(text),
            Some(_) => Err(format!("`{name}` is not a string")),
            None => Err(format!("missing field `{name}`")),
        }
    }

    pub fn integer(&mut self, name: &str) -> Result<u64, String> {
        match self.take(name) {
            Some(Json::Number(text)) => text.parse().map_err(|_| format!("`{name}` is not a whole number")),
            Some(_) => Err(format!("`{name}` is not a number")),
            None => Err(format!("missing field `{name}`")),
        }
    }

    pub fn money(&mut self, name: &str) -> Result<Money, String> {
        match self.take(name) {
            Some(Json::Number(text)) => {
                let units: f64 = text.parse().map_err(|_| format!("`{name}` is not a number"))?;
                Money::from_units_shown(units, |_| text.clone()).map_err(|e| e.to_string())
            }
            Some(_) => Err(format!("`{name}` is not a number")),
            None => Err(format!("missing field `{name}`")),
        }
    }

    /// An event object (`{"type":…}`) under `name`, as the original's JSON.
    pub fn event(&mut self, name: &str) -> Result<Event, String> {
        let mut fields = Fields::of(self.take(name).ok_or_else(|| format!("missing field `{name}`"))?)?;
        let event = fields.event_here()?;
        fields.done()?;
        Ok(event)
    }

    /// These fields as an event object: its kind's fields (domain/kind.rs),
    /// each as its type reads, an optional one only when present.
    pub fn event_here(&mut self) -> Result<Event, String> {
        let name = self.string("type")?;
        let kind = Kind::of_event(&name).ok_or_else(|| format!("unknown event type `{name}`"))?;
        let mut values = Values::default();
        for (index, field) in kind.fields_in(SCHEMA.number) {
            if field.optional && !self.0.iter().any(|(name, _)| name == field.name) {
                continue;
            }
            let value = match field.ty {
                FieldType::Money => Read::Money(self.money(field.name)?),
                FieldType::Owner => Read::Owner(Owner::from_stored(&self.string(field.name)?).map_err(|e| e.to_string())?),
            };
            values.set(index, value);
        }
        kind.event(values).ok_or_else(|| "the event lacks a field".to_owned())
    }

    pub fn done(&self) -> Result<(), String> {
        match self.0.first() {
            Some((name, _)) => Err(format!("unknown field `{name}`")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_writes() {
        let text = r#"{"a":1,"b":-0.5e3,"c":"x\"\\\n\u00e9\ud83d\udcb6/","d":[true,false,null],"e":{}}"#;
        let parsed = Json::parse(text).unwrap();
        let Json::Object(members) = parsed else { unreachable!() };
        assert_eq!(members.get(2).map(|m| &m.1), Some(&Json::String("x\"\\\né💶/".into())));
        assert_eq!(members.get(1).map(|m| &m.1), Some(&Json::Number("-0.5e3".into())));
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            "{\"a\":1,}",
            "{\"a\":1,\"a\":2}",
            "01",
            "1.",
            "-",
            "\"\\x\"",
            "\"\\ud800\"",
            "[1 2]",
            "{}x",
            "\"a\u{1}\"",
            &"[".repeat(100),
        ] {
            assert!(Json::parse(bad).is_err(), "{bad:?}");
        }
    }
}
