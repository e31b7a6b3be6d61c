//! Validated text newtypes (account ids, owners, event ids) share the same
//! conversions; this macro writes them once. And how a message quotes what
//! someone typed.

/// At most 40 characters of what someone typed, for a message (`…` when
/// there was more).
pub fn preview(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// For a `struct $name(String)` with `fn parse(&str) -> Result<$name, $error>`:
/// `as_str`, `Display`, its [`crate::coded::Field`] form, and the `String` conversions serde uses
/// (`#[serde(try_from = "String", into = "String")]`), so that deserializing
/// validates exactly as parsing does.
macro_rules! text_newtype {
    ($name:ident, $error:ty) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                $name::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        /// Written as its text, read back through `parse`.
        impl $crate::coded::Field for $name {
            fn write(&self, out: &mut dyn $crate::coded::FieldWriter) {
                out.text(&self.0);
            }
            fn read(input: &mut dyn $crate::coded::FieldReader) -> Option<$name> {
                $name::parse(&input.text()?).ok()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use text_newtype;
