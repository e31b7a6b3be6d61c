//! What tabs tell each other (the browser's coordination: a follower's
//! command, the writing tab's answer), as plain text: one field a line,
//! free text escaped (`\` as `\\`, a newline as `\n`). Written by hand
//! rather than derived, because serde's derived decoders for every error
//! variant cost more download than the whole of this file.
//!
//! ```text
//! {protocol} C {request} {account} {command id} {command}   a command, for the writing tab
//! {protocol} A {request} ok {account} {owner} {cents} {version}  its answer: the state
//! {protocol} A {request} err {error}                         or why not
//! {protocol} N                                               something changed: re-read
//! {protocol} L                                               a new writing tab: resend
//! {protocol} U {their protocol}                              the writing tab got a message it can't read
//! ```
//! (each space above is a newline). A command is its kind's tag, then its
//! fields in a line's order (core's domain/kind.rs: amounts in cents, optional
//! fields, empty when absent, then text): `O {cents} {owner}`, `D {cents}`,
//! `W {cents}`;
//! an error is its variant's name and fields, as core's `Coded` writes them.
//!
//! Pure Rust: compiled and tested natively too, unlike the rest of the
//! browser layer.
//!
//! Two rules hold for every version, past and future, so that tabs of two
//! builds open side by side can tell each other apart: the first line is the
//! protocol number ([`PROTOCOL`]; protocol 1 had no such line, and began with
//! its kind), and the next is the kind, where `C` is a follower's command and
//! every other kind comes from the writing tab. A format change that keeps
//! the number breaks `a_format_change_needs_a_new_protocol_number` below.

use crate::{
    escape_line, parse_decimal, unescape_line, AccountId, AccountState, Coded, Command, CommandId, Field, FieldReader, FieldType,
    FieldWriter, Kind, LedgerError, Owner, Read, Value, Values, SCHEMA,
};

/// One message between tabs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TabMessage {
    /// A follower's command, for the writing tab.
    Command { request: CommandId, account: AccountId, command: Command, command_id: CommandId },
    /// The writing tab's answer to one request.
    Answer { request: CommandId, outcome: Result<AccountState, LedgerError> },
    /// The writing tab stored something: re-read.
    Changed,
    /// A new writing tab: resend what is waiting.
    Leader,
    /// The writing tab got a message of `protocol`, which it does not speak.
    Unspoken { protocol: u32 },
}

/// The version of the text form below: the schema's (core's
/// domain/schema.rs), so a new kind or field moves it with the stored
/// data's format, and tabs of an older build hear a newer one and ask for a
/// reload. A change to the form alone is a new schema row too: 3 came with
/// storage format 3 (hash v2), with the same form as 2.
pub const PROTOCOL: u32 = crate::SCHEMA.tab_protocol;

/// What a tab heard on the channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// A message of this tab's protocol.
    Message(TabMessage),
    /// A message of another protocol: a tab of another build is open.
    /// `from_writer` says whether the writing tab sent it (anything but a
    /// follower's command).
    OtherProtocol { protocol: u32, from_writer: bool },
}

impl TabMessage {
    pub fn encode(&self) -> String {
        let mut out = Fields(vec![PROTOCOL.to_string()]);
        match self {
            TabMessage::Command { request, account, command, command_id } => {
                out.push("C").put(request).put(account).put(command_id);
                // The kind's fields in a line's order (core's domain/kind.rs);
                // an optional field absent is an empty line.
                let parts = command.parts();
                out.push(parts.kind.tag.encode_utf8(&mut [0; 4]));
                let values: Vec<Option<Value>> = parts.fields().map(|(_, value)| value).collect();
                for (index, _) in parts.kind.line_order(SCHEMA.number) {
                    match values.get(index).copied().flatten() {
                        Some(Value::Money(money)) => {
                            out.put(&money);
                        }
                        Some(Value::Owner(owner)) => out.text(owner.as_str()),
                        None => out.text(""),
                    }
                }
            }
            TabMessage::Answer { request, outcome } => {
                out.push("A").put(request);
                match outcome {
                    Ok(state) => {
                        out.push("ok").put(&state.id);
                        out.text(state.owner.as_str());
                        out.put(&state.balance).put(&state.version);
                    }
                    Err(error) => {
                        out.push("err");
                        error.write_variant(&mut out);
                    }
                }
            }
            TabMessage::Changed => {
                out.push("N");
            }
            TabMessage::Leader => {
                out.push("L");
            }
            TabMessage::Unspoken { protocol } => {
                out.push("U").put(&u64::from(*protocol));
            }
        }
        out.0.join("\n")
    }

    /// What `text` is: a message of this protocol, one of another, or
    /// (`None`) nothing a tab of any version sends.
    pub fn hear(text: &str) -> Option<Heard> {
        let mut lines = text.split('\n');
        let first = lines.next()?;
        let (protocol, kind) = match first {
            // Protocol 1 had no number: its first line was the kind.
            "C" | "A" | "N" | "L" => (1, first),
            _ => (parse_decimal(first).filter(|&p| p > 0).and_then(|p| u32::try_from(p).ok())?, lines.next()?),
        };
        if protocol != PROTOCOL {
            return Some(Heard::OtherProtocol { protocol, from_writer: kind != "C" });
        }
        TabMessage::decode(text).map(Heard::Message)
    }

    /// `None` for anything that is not a message this version writes.
    pub fn decode(text: &str) -> Option<TabMessage> {
        let mut fields = Reader(text.split('\n'));
        if fields.take::<u64>()? != u64::from(PROTOCOL) {
            return None;
        }
        let message = match fields.next()? {
            "C" => {
                let (request, account, command_id) = (fields.take()?, fields.take()?, fields.take()?);
                let mut tag = fields.next()?.chars();
                let kind = tag.next().filter(|_| tag.as_str().is_empty()).and_then(Kind::of_tag)?;
                let mut values = Values::default();
                for (index, field) in kind.line_order(SCHEMA.number) {
                    let value = match field.ty {
                        FieldType::Money => Read::Money(fields.take()?),
                        FieldType::Owner => match fields.text()? {
                            text if text.is_empty() && field.optional => continue,
                            text => Read::Owner(Owner::parse(&text).ok()?),
                        },
                    };
                    values.set(index, value);
                }
                let command = kind.command(values)?;
                TabMessage::Command { request, account, command, command_id }
            }
            "A" => {
                let request = fields.take()?;
                let outcome = match fields.next()? {
                    "ok" => {
                        let id = fields.take()?;
                        let owner = Owner::from_stored(&fields.text()?).ok()?;
                        Ok(AccountState { id, owner, balance: fields.take()?, version: fields.take()? })
                    }
                    "err" => Err(LedgerError::read_variant(fields.next()?, &mut fields)?),
                    _ => return None,
                };
                TabMessage::Answer { request, outcome }
            }
            "N" => TabMessage::Changed,
            "L" => TabMessage::Leader,
            "U" => TabMessage::Unspoken { protocol: u32::try_from(fields.take::<u64>()?).ok()? },
            _ => return None,
        };
        fields.0.next().is_none().then_some(message)
    }
}

struct Fields(Vec<String>);

impl Fields {
    fn push(&mut self, field: &str) -> &mut Fields {
        self.0.push(field.to_owned());
        self
    }

    fn put(&mut self, value: &impl Field) -> &mut Fields {
        value.write(self);
        self
    }
}

struct Reader<'a>(std::str::Split<'a, char>);

impl<'a> Reader<'a> {
    fn next(&mut self) -> Option<&'a str> {
        self.0.next()
    }

    fn take<T: Field>(&mut self) -> Option<T> {
        T::read(self)
    }
}

impl FieldWriter for Fields {
    fn number(&mut self, value: u64) {
        self.0.push(value.to_string());
    }

    fn text(&mut self, text: &str) {
        self.0.push(escape_line(text));
    }
}

impl FieldReader for Reader<'_> {
    fn number(&mut self) -> Option<u64> {
        parse_decimal(self.next()?)
    }

    fn text(&mut self) -> Option<String> {
        unescape_line(self.next()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DomainError, Money, StoreError, Version};

    fn id(text: &str) -> AccountId {
        AccountId::parse(text).unwrap()
    }

    fn cid(text: &str) -> CommandId {
        CommandId::parse(text).unwrap()
    }

    fn cents(c: u64) -> Money {
        Money::from_cents(c).unwrap()
    }

    fn every_message() -> Vec<TabMessage> {
        let owner = Owner::parse("Zoë \\ <b>\\n</b>").unwrap();
        let state = AccountState { id: id("acc"), owner: owner.clone(), balance: cents(12_345), version: Version::new(7) };
        let errors = [
            LedgerError::Domain(DomainError::ZeroAmount),
            LedgerError::Domain(DomainError::AccountNotFound { id: id("a") }),
            LedgerError::Domain(DomainError::AccountAlreadyExists { id: id("a") }),
            LedgerError::Domain(DomainError::InsufficientFunds { balance: cents(1), requested: cents(2) }),
            LedgerError::Domain(DomainError::BalanceLimitExceeded { balance: Money::MAX_BALANCE, amount: cents(1) }),
            LedgerError::Store(StoreError::Conflict { stream: id("s"), expected: Version::new(3), actual: Version::new(0) }),
            LedgerError::Store(StoreError::Corrupt { key: "a\nkey\\n".into(), reason: "line\n2 \\".into() }),
            LedgerError::Store(StoreError::Full),
            LedgerError::Store(StoreError::Unavailable { reason: String::new() }),
            LedgerError::InvalidVersion { id: id("a"), requested: u64::MAX, current: Version::new(1) },
            LedgerError::CommandIdReused { id: id("a"), command_id: cid("c-1") },
            LedgerError::InvalidImport { line: 7, reason: "bad\nline".into() },
            LedgerError::OutcomeUnknown { id: id("a"), command_id: cid("c-9") },
        ];
        let mut messages = vec![
            TabMessage::Changed,
            TabMessage::Leader,
            TabMessage::Unspoken { protocol: 7 },
            TabMessage::Answer { request: cid("r"), outcome: Ok(state) },
        ];
        for command in [Command::open(owner, cents(0)), Command::deposit(cents(1)), Command::withdraw(Money::MAX_AMOUNT)] {
            messages.push(TabMessage::Command { request: cid("r"), account: id("acc"), command, command_id: cid("c") });
        }
        messages.extend(errors.into_iter().map(|e| TabMessage::Answer { request: cid("r"), outcome: Err(e) }));
        messages
    }

    #[test]
    fn every_message_comes_back_the_same() {
        for message in every_message() {
            assert_eq!(TabMessage::decode(&message.encode()), Some(message.clone()), "{:?}", message.encode());
            assert_eq!(TabMessage::hear(&message.encode()), Some(Heard::Message(message.clone())));
        }
    }

    /// The text of every kind of message, as of each protocol number: a
    /// change to the form that keeps [`PROTOCOL`] fails here. Give the new
    /// form a new number, and add its row.
    #[test]
    fn a_format_change_needs_a_new_protocol_number() {
        const FORMS: [(u32, u64); 2] = [(2, 0x39b4_24f6_ee40_c93f), (3, 0x7617_5559_3af2_7812)];
        let text: String = every_message().iter().map(|m| m.encode() + "\n\n").collect();
        let fingerprint = crate::checksum(&text);
        let known = FORMS.iter().find(|(protocol, _)| *protocol == PROTOCOL).map(|(_, f)| *f);
        assert_eq!(known, Some(fingerprint), "protocol {PROTOCOL}'s form is {fingerprint:#018x}: a new form needs a new number");
    }

    #[test]
    fn messages_of_other_protocols_are_told_apart() {
        let heard = |text: &str| TabMessage::hear(text);
        // Protocol 1, from the builds before this one: no number.
        assert_eq!(heard("N"), Some(Heard::OtherProtocol { protocol: 1, from_writer: true }));
        assert_eq!(heard("C\nr\nacc\nc\nD\n100"), Some(Heard::OtherProtocol { protocol: 1, from_writer: false }));
        // Protocol 2, from the builds before storage format 3.
        assert_eq!(heard("2\nN"), Some(Heard::OtherProtocol { protocol: 2, from_writer: true }));
        // A later protocol, whatever its body.
        assert_eq!(heard("4\nC\nanything"), Some(Heard::OtherProtocol { protocol: 4, from_writer: false }));
        assert_eq!(heard("4\nZ"), Some(Heard::OtherProtocol { protocol: 4, from_writer: true }));
        for noise in ["", "{\"type\":\"x\"}", "03\nN", "3", "x\nN"] {
            assert_eq!(heard(noise), None, "{noise:?}");
        }
    }

    #[test]
    fn anything_else_is_not_a_message() {
        for bad in [
            "",
            "3\nX",
            "3\nN\n",
            "N",
            "3\nC\nr\nacc\nc\nD\n01",
            "3\nC\nr\na b\nc\nD\n1",
            "3\nA\nr\nerr\nNope",
            "3\nA\nr\nerr\nCorrupt\n\\x\ny",
            "3\nU\n-1",
        ] {
            assert_eq!(TabMessage::decode(bad), None, "{bad:?}");
        }
    }
}
