//! Errors written once. Each layer declares its error enum inside
//! [`coded_error!`], which adds what the edges need, derived from that one
//! declaration:
//!
//! - `code()`: the stable name programs match on (the JS API's
//!   `error.code`), given per variant after `=>`; a variant that wraps a
//!   lower layer's error takes that error's code;
//! - [`Coded`]: the variant's name and fields, written to and read back from
//!   any line-based form (the tab messages use it), so a new variant or
//!   field needs no codec change.
//!
//! A field's type says how it is written through [`Field`]: numbers as
//! numbers, everything else as text. The domain's and the store's types
//! implement it beside their definitions; this module depends on nothing.

/// Where [`Coded::write_variant`] puts a value's parts, in order.
pub trait FieldWriter {
    fn number(&mut self, value: u64);
    fn text(&mut self, text: &str);
}

/// Where [`Coded::read_variant`] takes them back from; `None` when the next
/// part is missing or malformed.
pub trait FieldReader {
    fn number(&mut self) -> Option<u64>;
    fn text(&mut self) -> Option<String>;
}

/// A value that is one part of a variant.
pub trait Field: Sized {
    fn write(&self, out: &mut dyn FieldWriter);
    fn read(input: &mut dyn FieldReader) -> Option<Self>;
}

/// An error enum declared with [`coded_error!`].
pub trait Coded: Sized {
    /// The variant's name, then its fields in declaration order (a wrapped
    /// error writes its own).
    fn write_variant(&self, out: &mut dyn FieldWriter);
    /// The variant called `name`, its fields read from `input`; `None` when
    /// no variant has that name or its fields can't be read.
    fn read_variant(name: &str, input: &mut dyn FieldReader) -> Option<Self>;
}

impl Field for u64 {
    fn write(&self, out: &mut dyn FieldWriter) {
        out.number(*self);
    }
    fn read(input: &mut dyn FieldReader) -> Option<u64> {
        input.number()
    }
}

impl Field for usize {
    fn write(&self, out: &mut dyn FieldWriter) {
        out.number(u64::try_from(*self).unwrap_or(u64::MAX));
    }
    fn read(input: &mut dyn FieldReader) -> Option<usize> {
        usize::try_from(input.number()?).ok()
    }
}

impl Field for String {
    fn write(&self, out: &mut dyn FieldWriter) {
        out.text(self);
    }
    fn read(input: &mut dyn FieldReader) -> Option<String> {
        input.text()
    }
}

/// Declares an error enum (deriving `Clone`, `Debug`, `PartialEq`, `Eq` and
/// `thiserror::Error`) with its `code()` and its [`Coded`] form. Each
/// variant is a unit, a struct of [`Field`]s with `=> "Code"`, or one
/// wrapped [`Coded`] error.
macro_rules! coded_error {
    (
        $(#[$($meta:tt)*])*
        $vis:vis enum $name:ident {
            $(
                $(#[$($vmeta:tt)*])*
                $variant:ident
                $( ( $(#[$($tmeta:tt)*])* $inner:ty ) )?
                $( { $( $(#[$($fmeta:tt)*])* $field:ident : $fty:ty ),* $(,)? } )?
                $( => $code:literal )?
            ),* $(,)?
        }
    ) => {
        $(#[$($meta)*])*
        #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
        $vis enum $name {
            $(
                $(#[$($vmeta)*])*
                $variant $( ( $(#[$($tmeta)*])* $inner ) )? $( { $( $(#[$($fmeta)*])* $field : $fty ),* } )?
            ),*
        }

        impl $name {
            /// The stable name of the error, for programs: the JS API's `error.code`.
            pub fn code(&self) -> &'static str {
                match self {
                    $( $crate::coded::coded_error!(@bind_any $variant [$($inner)?] wrapped) =>
                        $crate::coded::coded_error!(@code wrapped [$($inner)?] [$($code)?]), )*
                }
            }
        }

        impl $crate::coded::Coded for $name {
            fn write_variant(&self, out: &mut dyn $crate::coded::FieldWriter) {
                match self {
                    $(
                        $crate::coded::coded_error!(@bind $variant [$($inner)?] wrapped [$($($field)*)?]) => {
                            $crate::coded::coded_error!(@write out wrapped $variant [$($inner)?] [$($($field)*)?])
                        }
                    )*
                }
            }

            fn read_variant(name: &str, input: &mut dyn $crate::coded::FieldReader) -> Option<Self> {
                $( $crate::coded::coded_error!(@read name input $variant [$($inner)?] [$($($field : $fty)*)?]); )*
                None
            }
        }
    };

    (@bind $variant:ident [$inner:ty] $wrapped:ident [$($field:ident)*]) => { Self::$variant($wrapped) };
    (@bind $variant:ident [] $wrapped:ident [$($field:ident)*]) => { Self::$variant { $($field),* } };

    (@bind_any $variant:ident [$inner:ty] $wrapped:ident) => { Self::$variant($wrapped) };
    (@bind_any $variant:ident [] $wrapped:ident) => { Self::$variant { .. } };

    (@code $wrapped:ident [$inner:ty] []) => { $wrapped.code() };
    (@code $wrapped:ident [] [$code:literal]) => { $code };

    (@write $out:ident $wrapped:ident $variant:ident [$inner:ty] []) => {
        $crate::coded::Coded::write_variant($wrapped, $out)
    };
    (@write $out:ident $wrapped:ident $variant:ident [] [$($field:ident)*]) => {{
        $out.text(stringify!($variant));
        $( $crate::coded::Field::write($field, $out); )*
    }};

    (@read $name:ident $input:ident $variant:ident [$inner:ty] []) => {
        if let Some(inner) = <$inner as $crate::coded::Coded>::read_variant($name, $input) {
            return Some(Self::$variant(inner));
        }
    };
    (@read $name:ident $input:ident $variant:ident [] [$($field:ident : $fty:ty)*]) => {
        if $name == stringify!($variant) {
            return Some(Self::$variant { $( $field: <$fty as $crate::coded::Field>::read($input)? ),* });
        }
    };
}

pub(crate) use coded_error;
