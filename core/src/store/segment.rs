//! Format 3: a stream's events grouped [`SEGMENT_LEN`] to a key, one short
//! line each. The layout is specified in docs/storage-format.md;
//! this module is its only reader and writer. Format 2 had the same lines
//! under a header whose end hash was hash v1 (chain.rs): it is read, and
//! rewritten by the store's migration, never written.
//!
//! ```text
//! 3 {checksum} {end hash}\n            header: format, checksum of the rest, chain hash of the last event
//! D{event id},{dt},{ds},{command id},{cents}\n
//! O{event id},{dt},{ds},{command id},{cents},{owner}\n
//! ```
//!
//! `dt` and `ds` are the recorded-at time (ms) and the global sequence as
//! differences from the line before (absolute on a segment's first line).
//! An event id that is a lowercase UUID is kept as its 16 bytes in 22
//! base64url characters; any other id is written as `~` and its text.
//!
//! Hashes are not stored per event: decoding recomputes the chain from the
//! previous segment's end hash and must arrive at this segment's.

use super::short_id::{decode_event_id, encode_event_id};
use super::{ChainHash, CommandId, Envelope, Sequence, Timestamp};
use crate::domain::{AccountId, Event, FieldType, Kind, KindField, Money, Owner, Read, Value, Values, Version, SCHEMA, SCHEMAS};
use crate::encoding::{escape_field, parse_signed_decimal, seal, unescape_field, unseal};

/// The format number written at the head of every segment: the schema's
/// (domain/schema.rs).
pub const FORMAT: u32 = crate::domain::SCHEMA.segment_format;

/// The format before hash v2: the same lines, the end hash in hash v1.
pub const LEGACY_FORMAT: u32 = 2;

/// Events per segment key.
pub const SEGMENT_LEN: u64 = 64;

/// The segment that holds `version` (from 1).
pub fn segment_of(version: Version) -> u64 {
    version.get().saturating_sub(1) / SEGMENT_LEN
}

/// The first version segment `index` holds.
pub fn first_of(index: u64) -> Version {
    Version::new(index.saturating_mul(SEGMENT_LEN).saturating_add(1))
}

/// A segment's text split into its parts, its checksum checked.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'a> {
    /// [`FORMAT`], an older schema's format (domain/schema.rs), or
    /// [`LEGACY_FORMAT`].
    pub format: u32,
    /// The chain hash of its last event (hash v1 in format 2).
    pub end: ChainHash,
    /// The event lines, each ending in `\n`.
    pub body: &'a str,
}

impl<'a> Segment<'a> {
    /// Splits `text` and checks its format number and checksum: any change
    /// to a stored segment that did not recompute the checksum fails here,
    /// without decoding a single event.
    pub fn parse(text: &'a str) -> Result<Segment<'a>, String> {
        // The format number: this build's, an older schema's (schema.rs),
        // or the one before hash v2; a newer one is a newer build's data.
        let (format, rest) = match text.split_once(' ') {
            Some((number, rest)) if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
                let format = number.parse::<u32>().unwrap_or(u32::MAX);
                if format > FORMAT {
                    return Err(format!("format {number} was written by a newer version of this app: reload to update it"));
                }
                if format != LEGACY_FORMAT && !SCHEMAS.iter().any(|schema| schema.segment_format == format) {
                    return Err(format!("format {number} is not one this app reads"));
                }
                (format, rest)
            }
            _ => return Err("not an event segment".to_owned()),
        };
        let covered = unseal(rest).map_err(|why| format!("the segment is not as written: {why}"))?;
        let (end, body) = covered.split_once('\n').ok_or("the segment has no end hash")?;
        let end = ChainHash::parse_hex(end).ok_or("the end hash is not 64 lowercase hex digits")?;
        if !(body.is_empty() || body.ends_with('\n')) {
            return Err("the last line is cut short".into());
        }
        Ok(Segment { format, end, body })
    }

    /// How many events the segment holds.
    pub fn len(&self) -> u64 {
        u64::try_from(self.body.bytes().filter(|&b| b == b'\n').count()).unwrap_or(u64::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// The time and sequence of a segment's last line, summing the deltas
    /// without decoding the events.
    pub fn last_position(&self) -> Result<Option<(Timestamp, Sequence)>, String> {
        let mut position: Option<(i128, i128)> = None;
        for line in self.body.split_terminator('\n') {
            let mut fields = line.split(',').skip(1);
            let mut number =
                || fields.next().and_then(|f| f.parse::<i128>().ok()).ok_or("a line's time or sequence is unreadable");
            let (dt, ds) = (number()?, number()?);
            position = Some(position.map_or((dt, ds), |(t, s)| (t + dt, s + ds)));
        }
        position
            .map(|(t, s)| match (u64::try_from(t), u64::try_from(s)) {
                (Ok(t), Ok(s)) => Ok((Timestamp(t), Sequence(s))),
                _ => Err("a line's time or sequence is out of range".to_owned()),
            })
            .transpose()
    }

    /// Its lines in this build's format, for events to be appended after
    /// them: an older schema's lines (domain/schema.rs) are decoded with
    /// their schema and written again, never copied under a header whose
    /// layout differs. The same text when the format is this build's.
    pub fn current_body(&self) -> Result<String, String> {
        if self.format == FORMAT {
            return Ok(self.body.to_owned());
        }
        let mut out = String::with_capacity(self.body.len());
        let mut before = None;
        for line in self.body.split_terminator('\n') {
            let envelope = decode_line(line, Version::EMPTY, before, self.format)?;
            encode_line(&mut out, &envelope, before);
            before = Some((envelope.recorded_at, envelope.sequence));
        }
        Ok(out)
    }

    /// Whether this is a format 2 segment, whose end hash is hash v1.
    pub fn is_legacy(&self) -> bool {
        self.format == LEGACY_FORMAT
    }

    /// Decodes every event of a format 3 segment, computing each one's
    /// chain hash from `previous` (the end hash of the segment before,
    /// genesis for the first); the last must come out as the stored end hash.
    pub fn decode(&self, stream: &AccountId, first: Version, previous: ChainHash) -> Result<Vec<Envelope>, String> {
        if self.is_legacy() {
            return Err("a format 2 segment is read with its hash v1 start".into());
        }
        self.decode_with(stream, first, previous, None).map(|(events, _)| events)
    }

    /// Decodes every event of a segment of either format, computing both
    /// chains: hash v2 from `previous` into each envelope, hash v1 from
    /// `legacy_previous` into the list it returns beside them. The stored end
    /// hash must be the last of its format's chain.
    pub fn decode_legacy(
        &self,
        stream: &AccountId,
        first: Version,
        previous: ChainHash,
        legacy_previous: ChainHash,
    ) -> Result<(Vec<Envelope>, Vec<ChainHash>), String> {
        self.decode_with(stream, first, previous, Some(legacy_previous))
    }

    fn decode_with(
        &self,
        stream: &AccountId,
        first: Version,
        previous: ChainHash,
        mut legacy: Option<ChainHash>,
    ) -> Result<(Vec<Envelope>, Vec<ChainHash>), String> {
        let capacity = usize::try_from(self.len()).unwrap_or(0);
        let mut envelopes: Vec<Envelope> = Vec::with_capacity(capacity);
        let mut legacy_hashes = Vec::with_capacity(if legacy.is_some() { capacity } else { 0 });
        let mut version = first;
        let mut hash = previous;
        for line in self.body.split_terminator('\n') {
            let before = envelopes.last().map(|e| (e.recorded_at, e.sequence));
            let mut envelope =
                decode_line(line, version, before, self.format).map_err(|reason| format!("version {version}: {reason}"))?;
            hash = ChainHash::link(&hash, stream, &envelope);
            envelope.hash = hash;
            if let Some(legacy) = legacy.as_mut() {
                *legacy = ChainHash::link_v1(legacy, stream, &envelope);
                legacy_hashes.push(*legacy);
            }
            envelopes.push(envelope);
            version = version.next();
        }
        let end = match self.format {
            LEGACY_FORMAT => legacy.ok_or("a format 2 segment is read with its hash v1 start")?,
            _ => hash,
        };
        if end != self.end {
            return Err("the hash chain is broken: an event in this segment was changed".into());
        }
        Ok((envelopes, legacy_hashes))
    }
}

/// The stored text of a segment whose event lines are `body` (in this
/// build's format) and whose last event has the chain hash `end`.
pub fn encode_segment(end: &ChainHash, body: &str) -> String {
    encode_segment_in(FORMAT, end, body)
}

/// The same, for lines of `format` (a format 2 segment's lines keep their
/// layout under the first format of hash v2: docs/storage-format.md).
pub fn encode_segment_in(format: u32, end: &ChainHash, body: &str) -> String {
    format!("{format} {}", seal(&format!("{end}\n{body}")))
}

/// The format whose lines are a format 2 segment's: schema 1's.
pub const FIRST_V2_FORMAT: u32 = SCHEMAS[0].segment_format;

/// Appends the line of `envelope` to `body`; `before` is the time and
/// sequence of the line before it in the segment, if any.
pub fn encode_line(body: &mut String, envelope: &Envelope, before: Option<(Timestamp, Sequence)>) {
    use std::fmt::Write;
    let parts = envelope.event.parts();
    body.push(parts.kind.tag);
    encode_event_id(body, &envelope.event_id);
    let (time, sequence) = (envelope.recorded_at.0, envelope.sequence.0);
    let (dt, ds) = match before {
        Some((Timestamp(t0), Sequence(s0))) => (i128::from(time) - i128::from(t0), i128::from(sequence) - i128::from(s0)),
        None => (i128::from(time), i128::from(sequence)),
    };
    let command = envelope.command_id.as_ref().map_or("", |c| c.as_str());
    // Writing to a String cannot fail.
    let _ = write!(body, ",{dt},{ds},{command}");
    // The kind's fields in a line's order (domain/kind.rs): amounts, the
    // optional fields escaped (empty when absent), the text to the end.
    let values: Vec<Option<Value>> = parts.fields().map(|(_, value)| value).collect();
    // Absent optional fields at the end of a line are left out: a line
    // without them is as short as before the fields existed.
    let mut absent = 0;
    for (index, field) in parts.kind.line_order(SCHEMA.number) {
        let Some(value) = values.get(index).copied().flatten() else {
            absent += 1;
            continue;
        };
        for _ in 0..=absent {
            body.push(',');
        }
        absent = 0;
        match value {
            Value::Money(money) => {
                let _ = write!(body, "{}", money.cents());
            }
            Value::Owner(owner) if field.optional => body.push_str(&escape_field(owner.as_str())),
            Value::Owner(owner) => body.push_str(owner.as_str()),
        }
    }
    body.push('\n');
}

/// One line's fields, all checked but the event id, which is left as text.
struct Line<'a> {
    event_id: &'a str,
    recorded_at: Timestamp,
    sequence: Sequence,
    command_id: Option<CommandId>,
    event: Event,
}

fn parse_line(line: &str, before: Option<(Timestamp, Sequence)>, schema: u32) -> Result<Line<'_>, String> {
    let mut chars = line.chars();
    let tag = chars.next().ok_or("an empty line")?;
    let kind = Kind::of_tag(tag).ok_or_else(|| format!("{tag:?} is not an event kind"))?;
    let order: Vec<(usize, &KindField)> = kind.line_order(schema).collect();
    let mut fields = chars.as_str().splitn(4 + order.len(), ',');
    let mut next = |name: &str| fields.next().ok_or_else(|| format!("the line has no {name}"));
    let event_id = next("event id")?;
    let dt = parse_signed_decimal(next("time")?).ok_or("the time is not a whole number")?;
    let ds = parse_signed_decimal(next("sequence")?).ok_or("the sequence is not a whole number")?;
    let command = next("command id")?;
    let mut values = Values::default();
    for (index, field) in order {
        let text = match next(if field.ty == FieldType::Money { "amount" } else { field.name }) {
            // Absent optional fields at the end of a line are left out.
            Err(_) if field.optional => continue,
            text => text?,
        };
        let value = match field.ty {
            _ if field.optional && text.is_empty() => continue,
            FieldType::Money => {
                let cents = parse_signed_decimal(text).and_then(|c| u64::try_from(c).ok());
                Read::Money(cents.and_then(Money::from_cents).ok_or("the amount is not a whole number of cents in range")?)
            }
            FieldType::Owner if field.optional => {
                let text = unescape_field(text).ok_or_else(|| format!("the {} has an unknown escape", field.name))?;
                Read::Owner(Owner::from_stored(&text).map_err(|e| e.to_string())?)
            }
            FieldType::Owner => Read::Owner(Owner::from_stored(text).map_err(|e| e.to_string())?),
        };
        values.set(index, value);
    }
    let event = kind.event(values).ok_or("the event lacks a field")?;
    let (time, sequence) = match before {
        Some((Timestamp(t0), Sequence(s0))) => (i128::from(t0) + dt, i128::from(s0) + ds),
        None => (dt, ds),
    };
    let recorded_at = u64::try_from(time).map_err(|_| "the time is out of range")?;
    let sequence = u64::try_from(sequence).ok().filter(|&s| s > 0).ok_or("the sequence is out of range")?;
    if before.is_some_and(|(_, Sequence(s0))| sequence <= s0) {
        return Err("the sequence does not increase".into());
    }
    let command_id = match command {
        "" => None,
        text => Some(CommandId::parse(text).map_err(|e| e.to_string())?),
    };
    Ok(Line { event_id, recorded_at: Timestamp(recorded_at), sequence: Sequence(sequence), command_id, event })
}

fn decode_line(line: &str, version: Version, before: Option<(Timestamp, Sequence)>, format: u32) -> Result<Envelope, String> {
    // A line has the fields of its segment's schema (domain/schema.rs); the
    // format before hash v2 had schema 1's.
    let schema = SCHEMAS.iter().find(|s| s.segment_format == format).map_or(1, |s| s.number);
    let Line { event_id, recorded_at, sequence, command_id, event } = parse_line(line, before, schema)?;
    Ok(Envelope {
        version,
        sequence,
        recorded_at,
        event_id: decode_event_id(event_id)?,
        command_id,
        schema: format,
        event,
        hash: ChainHash::GENESIS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EventId;

    fn envelope(id: &str, at: u64, seq: u64, command: Option<&str>, event: Event) -> Envelope {
        Envelope {
            version: Version::new(1),
            sequence: Sequence(seq),
            recorded_at: Timestamp(at),
            event_id: EventId::parse(id).unwrap(),
            command_id: command.map(|c| CommandId::parse(c).unwrap()),
            schema: FORMAT,
            event,
            hash: ChainHash::GENESIS,
        }
    }

    fn cents(c: u64) -> Money {
        Money::from_cents(c).unwrap()
    }

    #[test]
    fn a_line_is_short_and_reads_back() {
        let opened = Event::opened(Owner::parse("Zoë, <b>Ünïcode</b> 💶").unwrap(), cents(100_000));
        let first = envelope("f1d3b633-ebe9-446a-ae42-02570d4df985", 1_795_710_465_616, 7, Some("open-1"), opened);
        let second =
            envelope("385f823e-1ff1-4715-9475-223632e186f0", 1_795_710_465_618, 9, None, Event::deposited(cents(50_000)));
        let third = envelope("evt-3", 1_795_710_465_500, 10, None, Event::withdrawn(cents(1)));
        let mut body = String::new();
        encode_line(&mut body, &first, None);
        let at = |e: &Envelope| Some((e.recorded_at, e.sequence));
        encode_line(&mut body, &second, at(&first));
        encode_line(&mut body, &third, at(&second));
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.get(1).copied(), Some("DOF-CPh_xRxWUdSI2MuGG8A,2,2,,50000"));
        assert_eq!(lines.get(2).copied(), Some("W~evt-3,-118,1,,1"));

        let stream = AccountId::parse("acc").unwrap();
        let mut expected = vec![first, second, third];
        let mut hash = ChainHash::GENESIS;
        for (n, e) in expected.iter_mut().enumerate() {
            e.version = Version::new(n as u64 + 1);
            e.hash = ChainHash::link(&hash, &stream, e);
            hash = e.hash;
        }
        let text = encode_segment(&hash, &body);
        let segment = Segment::parse(&text).unwrap();
        assert_eq!(segment.len(), 3);
        assert_eq!(segment.decode(&stream, Version::new(1), ChainHash::GENESIS), Ok(expected));
    }

    #[test]
    fn any_change_is_caught() {
        let stream = AccountId::parse("acc").unwrap();
        let mut deposit = envelope("evt-1", 5, 1, None, Event::deposited(cents(500)));
        let mut body = String::new();
        encode_line(&mut body, &deposit, None);
        deposit.hash = ChainHash::link(&ChainHash::GENESIS, &stream, &deposit);
        let text = encode_segment(&deposit.hash, &body);
        // An edit without a new checksum.
        let edited = text.replace(",500\n", ",900\n");
        assert!(Segment::parse(&edited).is_err_and(|e| e.contains("checksum")));
        // An edit with a new checksum: the chain catches it.
        let forged = encode_segment(&deposit.hash, &body.replace(",500\n", ",900\n"));
        let segment = Segment::parse(&forged).unwrap();
        assert!(segment.decode(&stream, Version::new(1), ChainHash::GENESIS).is_err_and(|e| e.contains("chain")));
        // Garbage and other formats.
        for bad in ["", "3", "3 x", "2 0000 abc", "{\"schema\":1}", &text[..text.len() - 1]] {
            assert!(Segment::parse(bad).is_err(), "{bad:?}");
        }
        let newer = format!("{} 0123456789abcdef x", FORMAT + 1);
        assert!(Segment::parse(&newer).is_err_and(|e| e.contains("newer version of this app")), "a newer build's data says so");
        assert!(Segment::parse("1 0123456789abcdef x").is_err_and(|e| e.contains("format 1 is not one this app reads")));
    }

    #[test]
    fn a_format_2_segment_is_checked_with_hash_v1_and_read_with_hash_v2() {
        let stream = AccountId::parse("acc").unwrap();
        let mut events = vec![
            envelope("evt-1", 5, 1, None, Event::opened(Owner::parse("Ann").unwrap(), cents(0))),
            envelope("evt-2", 7, 4, Some("c"), Event::deposited(cents(500))),
        ];
        let (mut body, mut before, mut v1, mut v2) = (String::new(), None, ChainHash::GENESIS, ChainHash::GENESIS);
        let mut v1_hashes = Vec::new();
        for (n, e) in events.iter_mut().enumerate() {
            e.version = Version::new(n as u64 + 1);
            e.schema = LEGACY_FORMAT;
            encode_line(&mut body, e, before);
            before = Some((e.recorded_at, e.sequence));
            v1 = ChainHash::link_v1(&v1, &stream, e);
            v2 = ChainHash::link(&v2, &stream, e);
            e.hash = v2;
            v1_hashes.push(v1);
        }
        assert_ne!(v1, v2, "the versions differ");
        let legacy_text = format!("2 {}", seal(&format!("{v1}\n{body}")));
        let legacy = Segment::parse(&legacy_text).unwrap();
        assert!(legacy.is_legacy());
        let start = ChainHash::GENESIS;
        assert_eq!(legacy.decode_legacy(&stream, Version::new(1), start, start), Ok((events.clone(), v1_hashes.clone())));
        assert!(legacy.decode(&stream, Version::new(1), start).is_err(), "not without its v1 start");
        // Its v1 end does not pass as a format 3 end, nor the other way round.
        let (posing_text, current_text) = (encode_segment(&v1, &body), encode_segment(&v2, &body));
        let posing = Segment::parse(&posing_text).unwrap();
        assert!(posing.decode(&stream, Version::new(1), start).is_err_and(|e| e.contains("chain")));
        let current = Segment::parse(&current_text).unwrap();
        let (read, _) = current.decode_legacy(&stream, Version::new(1), start, start).unwrap();
        assert!(read.iter().all(|e| e.schema == FORMAT));
        assert_eq!(read.iter().map(|e| e.hash).collect::<Vec<_>>(), events.iter().map(|e| e.hash).collect::<Vec<_>>());
    }

    #[test]
    fn numbers_must_be_canonical() {
        for (text, value) in [
            ("0", Some(0)),
            ("-5", Some(-5)),
            ("12", Some(12)),
            ("012", None),
            ("-0", None),
            ("+1", None),
            ("", None),
            ("1e3", None),
        ] {
            assert_eq!(parse_signed_decimal(text), value, "{text}");
        }
    }
}
