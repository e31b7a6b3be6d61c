//! The JS API's arguments, parsed by hand from untyped `JsValue`s: known
//! fields read with `Reflect.get`, unknown ones refused, so no input shape
//! reaches a panic.

use wasm_bindgen::{JsCast, JsValue};

use super::error::ApiError;
use crate::{preview, AccountId, Command, CommandId, Kind, Money, Owner, KINDS};

pub(super) fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        return "null".into();
    }
    if js_sys::Array::is_array(value) {
        return "an array".into();
    }
    value.js_typeof().as_string().unwrap_or_else(|| "unknown".into())
}

pub(super) fn parse_id(value: &JsValue) -> Result<AccountId, ApiError> {
    let text = value
        .as_string()
        .ok_or_else(|| ApiError::InvalidAccountId(format!("account id must be a string, got {}", type_name(value))))?;
    AccountId::parse(&text).map_err(|e| ApiError::InvalidAccountId(e.to_string()))
}

fn parse_money(value: &JsValue, field: &str) -> Result<Money, ApiError> {
    let money = if let Some(number) = value.as_f64() {
        Money::from_units_shown(number, |n| {
            js_sys::Number::from(n).to_string_with_radix(10).map(String::from).unwrap_or_default()
        })
    } else if let Some(text) = value.as_string() {
        Money::parse(&text)
    } else if value.is_undefined() {
        return Err(ApiError::InvalidCommand(format!("the command has no {field}")));
    } else {
        return Err(ApiError::InvalidAmount(format!("{field} must be a number such as 12.34, got {}", type_name(value))));
    };
    money.map_err(|e| ApiError::InvalidAmount(format!("{field}: {e}")))
}

fn field(object: &JsValue, name: &str) -> Result<JsValue, ApiError> {
    js_sys::Reflect::get(object, &JsValue::from_str(name))
        .map_err(|_| ApiError::InvalidCommand(format!("reading {name} of the command failed")))
}

const COMMAND_SHAPE: &str = "a command is an object such as {type: \"Deposit\", amount: 12.34}";

/// Parses a command and its optional `command_id` (a string: sending the same
/// command with the same id again does it once).
pub(super) fn parse_command(value: &JsValue) -> Result<(Command, Option<CommandId>), ApiError> {
    let command = parse_command_fields(value)?;
    let command_id = field(value, "command_id")?;
    if command_id.is_undefined() {
        return Ok((command, None));
    }
    let command_id = command_id
        .as_string()
        .and_then(|text| CommandId::parse(&text).ok())
        .ok_or_else(|| ApiError::InvalidCommand("command_id must be 1 to 64 ASCII letters, digits, '-' or '_'".into()))?;
    Ok((command, Some(command_id)))
}

/// Parses `{type: "OpenAccount", owner, initial_balance}`, `{type: "Deposit",
/// amount}` or `{type: "Withdraw", amount}`. Unknown fields are refused: a
/// typo must not pass silently.
fn parse_command_fields(value: &JsValue) -> Result<Command, ApiError> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(ApiError::InvalidCommand(format!("{COMMAND_SHAPE}, got {}", type_name(value))));
    }
    let kind = field(value, "type")?;
    let Some(kind) = kind.as_string() else {
        return Err(ApiError::InvalidCommand(format!("{COMMAND_SHAPE}; its type is missing")));
    };
    let Some(kind) = Kind::of_command(&kind) else {
        return Err(ApiError::InvalidCommand(format!(
            "unknown command type {:?}: expected {}",
            preview(&kind),
            listed(KINDS.iter().map(|k| k.command), " or ")
        )));
    };
    let fields = [Some("type"), kind.owner.then_some("owner"), Some(kind.amount), Some("command_id")];
    let allowed = || fields.iter().flatten().copied();
    // Reflect.ownKeys reports a throwing Proxy as an error instead of letting
    // the exception unwind through the module, and also sees symbol keys.
    let keys = js_sys::Reflect::own_keys(value.unchecked_ref())
        .map_err(|_| ApiError::InvalidCommand("the command's fields could not be listed".into()))?;
    for key in keys.iter() {
        let key = key.as_string().unwrap_or_else(|| "a symbol".into());
        if !allowed().any(|field| field == key) {
            return Err(ApiError::InvalidCommand(format!(
                "{} takes only {}; unexpected field {:?}",
                kind.command,
                listed(allowed(), ", "),
                preview(&key)
            )));
        }
    }
    let owner = match kind.owner {
        false => None,
        true => {
            let owner = field(value, "owner")?;
            match owner.as_string() {
                Some(text) => Some(Owner::parse(&text).map_err(|e| ApiError::InvalidOwner(e.to_string()))?),
                None if owner.is_undefined() => return Err(ApiError::InvalidCommand("the command has no owner".into())),
                None => return Err(ApiError::InvalidOwner(format!("owner must be a string, got {}", type_name(&owner)))),
            }
        }
    };
    let amount = parse_money(&field(value, kind.amount)?, kind.amount)?;
    kind.command(amount, owner).ok_or_else(|| ApiError::InvalidCommand(format!("{} needs an owner", kind.command)))
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

/// `a, b{last}c`: `last` is `" or "` or `", "`.
fn listed<'a>(items: impl Iterator<Item = &'a str> + Clone, last: &str) -> String {
    let count = items.clone().count();
    let mut out = String::new();
    for (at, item) in items.enumerate() {
        match at {
            0 => {}
            _ if at + 1 == count => out.push_str(last),
            _ => out.push_str(", "),
        }
        out.push_str(item);
    }
    out
}
