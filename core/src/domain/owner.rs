//! Account owners' names.

use serde::{Deserialize, Serialize};

/// An owner's name: 1 to 100 characters after trimming, no control characters,
/// and (for names given from now on) no bidirectional embedding, override or
/// isolate controls. Stored trimmed. It is only ever shown as text, isolated
/// from the text around it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Owner(String);

/// Why a text is not an owner's name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OwnerError {
    #[error("owner must not be empty")]
    Empty,
    #[error("owner must be at most {max} characters, got {len}", max = Owner::MAX_CHARS)]
    TooLong { len: usize },
    #[error("owner must not contain control characters such as {found:?}")]
    ControlCharacter { found: char },
    #[error("owner must not contain text-direction controls such as {found:?}: they can reorder the text around the name")]
    DirectionControl { found: char },
}

impl Owner {
    pub const MAX_CHARS: usize = 100;

    /// A name for a new account. Besides the rules of
    /// [`Owner::from_stored`], it refuses the bidirectional embedding,
    /// override and isolate controls (U+202A to U+202E, U+2066 to U+2069),
    /// which could make the text after a name read backwards. Joiners and
    /// marks (U+200B to U+200F) stay: Persian names and emoji need them.
    pub fn parse(text: &str) -> Result<Owner, OwnerError> {
        let owner = Owner::from_stored(text)?;
        match owner.0.chars().find(|c| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')) {
            Some(found) => Err(OwnerError::DirectionControl { found }),
            None => Ok(owner),
        }
    }

    /// A name as an event recorded it, under the rule of the version that
    /// recorded it: what was once accepted always reads back, so a stricter
    /// rule for new names never makes stored data unreadable.
    pub fn from_stored(text: &str) -> Result<Owner, OwnerError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(OwnerError::Empty);
        }
        let len = trimmed.chars().count();
        if len > Self::MAX_CHARS {
            return Err(OwnerError::TooLong { len });
        }
        if let Some(found) = trimmed.chars().find(|c| c.is_control()) {
            return Err(OwnerError::ControlCharacter { found });
        }
        Ok(Owner(trimmed.to_owned()))
    }
}

crate::text::text_newtype!(Owner, OwnerError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_counts_characters_not_bytes() {
        assert_eq!(Owner::parse("  Alice ").map(String::from), Ok("Alice".to_owned()));
        assert!(Owner::parse(&"é".repeat(100)).is_ok());
        assert_eq!(Owner::parse(&"é".repeat(101)), Err(OwnerError::TooLong { len: 101 }));
        assert_eq!(Owner::parse(" \t\n"), Err(OwnerError::Empty));
        assert_eq!(Owner::parse("a\u{0}b"), Err(OwnerError::ControlCharacter { found: '\u{0}' }));
        assert!(Owner::parse("<img src=x onerror=alert(1)>").is_ok());
    }

    #[test]
    fn new_names_refuse_direction_controls_and_stored_names_keep_them() {
        for control in
            ['\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']
        {
            let name = format!("Eve{control}");
            assert_eq!(Owner::parse(&name), Err(OwnerError::DirectionControl { found: control }));
            assert_eq!(Owner::from_stored(&name).map(String::from), Ok(name));
        }
        // Joiners and marks are kept: a Persian name with a zero-width
        // non-joiner, an emoji family joined by ZWJ, a right-to-left mark.
        for name in
            ["\u{0645}\u{06cc}\u{200c}\u{062e}\u{0648}\u{0627}\u{0647}\u{0645}", "👩\u{200d}👧", "Ann\u{200f}", "a\u{200b}b"]
        {
            assert_eq!(Owner::parse(name).map(String::from), Ok(name.to_owned()));
        }
    }
}
