//! What a device keeps of its server of record, in two values:
//!
//! ```text
//! {ns}/sync/link   {"format":1,"url":"https://ledger.example","token":"…"}   the user's choice; any tab writes it
//! {ns}/sync/place  {"format":1,"server":"…","position":1234}                the writing tab's: whom it synced with, how far
//! ```
//!
//! `token` is `null` when the server wants none, `server` until one
//! answered. Connecting writes the link and leaving removes it; the tab
//! that writes the ledger follows (it alone syncs). The token is kept in
//! the browser's storage like the ledger itself: whoever can read the one
//! can read the other.

use crate::store::json::{write_json_string, Fields, Json};

pub const LINK_FORMAT: u64 = 1;

/// The server the user connected this device to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    pub token: Option<String>,
}

/// Where this device stands with its server: the server's id once it
/// answered, and the position pulled up to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub server: Option<String>,
    pub position: u64,
}

fn write_optional(out: &mut Vec<u8>, name: &str, value: Option<&str>) {
    out.extend_from_slice(format!(",\"{name}\":").as_bytes());
    match value {
        Some(text) => write_json_string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

fn read_optional(fields: &mut Fields, name: &str) -> Result<Option<String>, String> {
    match fields.take(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(text)) => Ok(Some(text)),
        Some(_) => Err(format!("`{name}` is not a string")),
    }
}

fn open(text: &str) -> Result<Fields, String> {
    let mut fields = Fields::of(Json::parse(text)?)?;
    let format = fields.integer("format")?;
    if format != LINK_FORMAT {
        return Err(format!("sync data of format {format}, which this version does not read"));
    }
    Ok(fields)
}

impl Link {
    pub fn write(&self) -> String {
        let mut out = format!("{{\"format\":{LINK_FORMAT},\"url\":").into_bytes();
        write_json_string(&mut out, &self.url);
        write_optional(&mut out, "token", self.token.as_deref());
        out.push(b'}');
        String::from_utf8(out).unwrap_or_default()
    }

    pub fn read(text: &str) -> Result<Link, String> {
        let mut fields = open(text)?;
        let url = fields.string("url")?;
        let token = read_optional(&mut fields, "token")?;
        fields.done()?;
        Ok(Link { url, token })
    }
}

impl Place {
    pub fn write(&self) -> String {
        let mut out = format!("{{\"format\":{LINK_FORMAT}").into_bytes();
        write_optional(&mut out, "server", self.server.as_deref());
        out.extend_from_slice(format!(",\"position\":{}}}", self.position).as_bytes());
        String::from_utf8(out).unwrap_or_default()
    }

    pub fn read(text: &str) -> Result<Place, String> {
        let mut fields = open(text)?;
        let server = read_optional(&mut fields, "server")?;
        let position = fields.integer("position")?;
        fields.done()?;
        Ok(Place { server, position })
    }
}
