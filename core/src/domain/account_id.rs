//! Account ids, validated once at the boundary.

use serde::{Deserialize, Serialize};

/// An account id: 1 to 64 ASCII letters, digits, `-` and `_`.
///
/// The alphabet keeps ids safe inside storage keys and URLs without escaping.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

/// Why a text is not an account id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountIdError {
    #[error("account id must not be empty")]
    Empty,
    #[error("account id must be at most {max} characters, got {len}", max = AccountId::MAX_LEN)]
    TooLong { len: usize },
    #[error("account id may hold only ASCII letters, digits, '-' and '_', found {found:?}")]
    BadCharacter { found: char },
}

impl AccountId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(text: &str) -> Result<AccountId, AccountIdError> {
        if text.is_empty() {
            return Err(AccountIdError::Empty);
        }
        if let Some(found) = text.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
            return Err(AccountIdError::BadCharacter { found });
        }
        // All characters are ASCII now, so bytes are characters.
        if text.len() > Self::MAX_LEN {
            return Err(AccountIdError::TooLong { len: text.len() });
        }
        Ok(AccountId(text.to_owned()))
    }
}

crate::text::text_newtype!(AccountId, AccountIdError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet() {
        for ok in ["acc-001", "a", "A_b-9", &"x".repeat(64)] {
            assert_eq!(AccountId::parse(ok).map(|id| id.to_string()), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn rejects_everything_else() {
        assert_eq!(AccountId::parse(""), Err(AccountIdError::Empty));
        assert_eq!(AccountId::parse(&"x".repeat(65)), Err(AccountIdError::TooLong { len: 65 }));
        assert_eq!(AccountId::parse("a b"), Err(AccountIdError::BadCharacter { found: ' ' }));
        assert_eq!(AccountId::parse("a/b"), Err(AccountIdError::BadCharacter { found: '/' }));
        assert_eq!(AccountId::parse("é"), Err(AccountIdError::BadCharacter { found: 'é' }));
    }
}
