//! Account owners' names.

use serde::{Deserialize, Serialize};

/// An owner's name: 1 to 100 characters after trimming, no control characters.
/// Stored trimmed. It is only ever shown as text.
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
}

impl Owner {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(text: &str) -> Result<Owner, OwnerError> {
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
}
