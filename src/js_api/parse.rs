//! The JS API's arguments, read by hand from untyped `JsValue`s (own
//! fields listed with `Reflect.ownKeys`, read with `Reflect.get`), so no
//! input shape reaches a panic. A command's rules are the core's one
//! command parser's ([`read_command`]): this only turns values into its inputs.

use wasm_bindgen::{JsCast, JsValue};

use super::error::ApiError;
use crate::{not_an_object, preview, read_account_id, read_command, AccountId, Command, CommandId, Input, Number, RequestError};

/// What a JS value is, for a message: "a string", "null", ….
pub(super) fn type_name(value: &JsValue) -> &'static str {
    input(value).type_name()
}

pub(super) fn parse_id(value: &JsValue) -> Result<AccountId, ApiError> {
    let text = value.as_string().ok_or_else(|| RequestError::InvalidAccountId {
        reason: format!("account id must be a string, got {}", type_name(value)),
    })?;
    Ok(read_account_id(&text)?)
}

/// Parses a command and its optional `command_id` (a string: sending the same
/// command with the same id again does it once): its own fields read into
/// the core's one command parser ([`read_command`]), which holds the rules.
pub(super) fn parse_command(value: &JsValue) -> Result<(Command, Option<CommandId>), ApiError> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(not_an_object(&input(value)).into());
    }
    // Reflect.ownKeys reports a throwing Proxy as an error instead of letting
    // the exception unwind through the module, and also sees symbol keys.
    let keys = js_sys::Reflect::own_keys(value.unchecked_ref())
        .map_err(|_| ApiError::from(invalid_command("the command's fields could not be listed".into())))?;
    let mut fields = Vec::new();
    for key in keys.iter() {
        let Some(name) = key.as_string() else {
            fields.push(("a symbol".to_owned(), Input::Other("a symbol")));
            continue;
        };
        let field = js_sys::Reflect::get(value, &key)
            .map_err(|_| ApiError::from(invalid_command(format!("reading {} of the command failed", preview(&name)))))?;
        fields.push((name, input(&field)));
    }
    Ok(read_command(fields)?)
}

fn invalid_command(reason: String) -> RequestError {
    RequestError::InvalidCommand { reason }
}

/// A JS value as the command parser takes it: a number as a float, shown
/// as JS writes it.
fn input(value: &JsValue) -> Input {
    if value.is_undefined() {
        Input::Undefined
    } else if value.is_null() {
        Input::Null
    } else if let Some(number) = value.as_f64() {
        let shown = js_sys::Number::from(number).to_string_with_radix(10).map(String::from).unwrap_or_default();
        Input::Number(Number::Float { value: number, shown })
    } else if let Some(text) = value.as_string() {
        Input::Text(text)
    } else if value.as_bool().is_some() {
        Input::Bool
    } else if js_sys::Array::is_array(value) {
        Input::Array
    } else if value.is_function() {
        Input::Other("a function")
    } else if value.is_symbol() {
        Input::Other("a symbol")
    } else if value.is_bigint() {
        Input::Other("a bigint")
    } else {
        Input::Object
    }
}

pub(super) fn parse_version(value: &JsValue) -> Result<u64, ApiError> {
    let invalid = |why: String| ApiError::InvalidVersion(why);
    let Some(number) = value.as_f64() else {
        return Err(invalid(format!("version must be a whole number, got {}", type_name(value))));
    };
    // 2^53: past it, JS numbers no longer count whole numbers one by one.
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if !(number.is_finite() && number.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&number)) {
        return Err(invalid(format!("version must be a whole number from 0, got {number}")));
    }
    // A whole number in 0..=2^53-1: the cast is exact.
    Ok(number as u64)
}
