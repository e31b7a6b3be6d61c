//! Heads: where each account of the caller's ledger stands on the server
//! (its last event's version, chain hash and position), so a device can
//! compare its own head of each account with the server's, the witness
//! that a local copy was not edited.

use super::wire::into_text;
use crate::domain::{AccountId, Version};
use crate::store::json::{write_json_string, Fields, Json};
use crate::store::ChainHash;

/// `{"server":…,"accounts":[{head},…]}`: every account of the ledger that
/// has an event, once each, in the order of their ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heads {
    pub server: String,
    pub accounts: Vec<Head>,
}

/// `{"account":…,"version":…,"hash":…,"position":…}`: an account's last
/// event, its version, its chain hash (hash v2), and its position in the
/// server's one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub account: AccountId,
    pub version: Version,
    pub hash: ChainHash,
    pub position: u64,
}

impl Heads {
    pub fn write(&self) -> String {
        let mut out = b"{\"server\":".to_vec();
        write_json_string(&mut out, &self.server);
        out.extend_from_slice(b",\"accounts\":[");
        for (n, head) in self.accounts.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"account\":");
            write_json_string(&mut out, head.account.as_str());
            out.extend_from_slice(
                format!(",\"version\":{},\"hash\":\"{}\",\"position\":{}}}", head.version, head.hash, head.position).as_bytes(),
            );
        }
        out.extend_from_slice(b"]}");
        into_text(out)
    }

    /// Reads what [`Heads::write`] writes: strict (unknown members
    /// refused), each account once, in the order of their ids.
    pub fn read(text: &str) -> Result<Heads, String> {
        let mut fields = Fields::of(Json::parse(text)?)?;
        let server = fields.string("server")?;
        let accounts = match fields.take("accounts") {
            Some(Json::Array(items)) => items.into_iter().map(read_head).collect::<Result<Vec<Head>, String>>()?,
            Some(_) => return Err("`accounts` is not an array".into()),
            None => return Err("missing field `accounts`".into()),
        };
        fields.done()?;
        if accounts.windows(2).any(|w| w.first().map(|h| &h.account) >= w.get(1).map(|h| &h.account)) {
            return Err("the accounts are not each once in the order of their ids".into());
        }
        Ok(Heads { server, accounts })
    }
}

fn read_head(json: Json) -> Result<Head, String> {
    let mut fields = Fields::of(json)?;
    let account = AccountId::parse(&fields.string("account")?).map_err(|e| format!("account: {e}"))?;
    let version = Version::new(fields.integer("version")?);
    if version == Version::EMPTY {
        return Err(format!("account {account}: `version` starts at 1"));
    }
    let hash = ChainHash::parse_hex(&fields.string("hash")?)
        .ok_or_else(|| format!("account {account}: `hash` is not 64 lowercase hex digits"))?;
    let position = fields.integer("position")?;
    fields.done().map_err(|e| format!("account {account}: {e}"))?;
    Ok(Head { account, version, hash, position })
}
