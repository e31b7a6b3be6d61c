//! The tokens file (`TOKENS_FILE`): one line per device, `{token} {tenant}
//! {device name}`; blank lines and lines starting with `#` are skipped. A
//! token is at least 32 visible ASCII characters; a tenant is what
//! [`Tenant::parse`] takes; a device's name is the rest of the line
//! ([`Device::parse`]). Only each token's SHA-256 digest is kept, and a
//! presented token is found by its digest: no comparison ever runs over the
//! token's own bytes, so how long one takes tells nothing about a token.
//!
//! The file is read again when it changes (checked once a second, and at
//! SIGHUP): a removed line revokes its device. A file that can't be read or
//! has a bad line leaves the table as it was, and says why on stderr.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::rate::Key;
use crate::store::{Device, Tenant};

/// The shortest token taken: 32 characters.
pub const MIN_TOKEN: usize = 32;

/// Why the tokens file was not taken. Never shows a token.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokensError {
    #[error("TOKENS_FILE {path}: can't be read: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("TOKENS_FILE {path}, line {line}: {reason} (a line is `{{token}} {{tenant}} {{device name}}`)")]
    Line { path: PathBuf, line: usize, reason: String },
}

/// SHA-256 of a token.
pub fn digest(token: &[u8]) -> Key {
    Sha256::digest(token).into()
}

/// The callers of the file's lines, by their token's digest.
pub fn parse(path: &Path, text: &str) -> Result<HashMap<Key, Caller>, TokensError> {
    let mut table = HashMap::new();
    for (at, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |reason: &str| TokensError::Line { path: path.to_owned(), line: at + 1, reason: reason.to_owned() };
        let (token, rest) = line.split_once(char::is_whitespace).ok_or_else(|| bad("no tenant after the token"))?;
        let (tenant, device) =
            rest.trim_start().split_once(char::is_whitespace).ok_or_else(|| bad("no device name after the tenant"))?;
        if token.len() < MIN_TOKEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad("a token is at least 32 visible ASCII characters"));
        }
        let tenant = Tenant::parse(tenant).map_err(|e| bad(&e.to_string()))?;
        let device = Device::parse(device.trim()).map_err(|e| bad(&e.to_string()))?;
        if table.insert(digest(token.as_bytes()), Caller { tenant, device }).is_some() {
            return Err(bad("this token is on an earlier line too"));
        }
    }
    Ok(table)
}

/// The tokens file's table, read again when the file changes.
#[derive(Debug)]
pub struct Keyring {
    path: PathBuf,
    table: RwLock<Arc<HashMap<Key, Caller>>>,
    /// The file's text last read, taken or not: a change is read once.
    seen: RwLock<String>,
}

impl Keyring {
    /// The table of the file at `path`, which must be readable and valid.
    pub fn load(path: &Path) -> Result<Keyring, TokensError> {
        let text = read(path)?;
        let table = parse(path, &text)?;
        Ok(Keyring { path: path.to_owned(), table: RwLock::new(Arc::new(table)), seen: RwLock::new(text) })
    }

    /// The caller whose token has `digest`.
    pub fn caller(&self, digest: &Key) -> Option<Caller> {
        self.table.read().unwrap_or_else(PoisonError::into_inner).get(digest).cloned()
    }

    /// How many devices the table holds.
    pub fn len(&self) -> usize {
        self.table.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads the file again; a new text that is valid replaces the table.
    /// Answers what changed, if anything, for the log.
    pub fn reload(&self) -> Option<Result<usize, TokensError>> {
        let text = match read(&self.path) {
            Ok(text) => text,
            Err(error) => return self.once(format!("\0{error}"), Err(error)),
        };
        if *self.seen.read().unwrap_or_else(PoisonError::into_inner) == text {
            return None;
        }
        let parsed = parse(&self.path, &text);
        let result = parsed.map(|table| {
            let devices = table.len();
            *self.table.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(table);
            devices
        });
        self.once(text, result)
    }

    /// Records `text` as seen, and answers `result` unless it was already
    /// answered for the same text.
    fn once(&self, text: String, result: Result<usize, TokensError>) -> Option<Result<usize, TokensError>> {
        let mut seen = self.seen.write().unwrap_or_else(PoisonError::into_inner);
        if result.is_err() && *seen == text {
            return None;
        }
        *seen = text;
        Some(result)
    }

    /// Reloads once a second, and at SIGHUP, for as long as the server
    /// runs; says on stderr what each change did.
    pub fn watch(self: &Arc<Self>) {
        let keyring = Arc::clone(self);
        tokio::spawn(async move {
            let mut hangup = hangups();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    Some(()) = next_hangup(&mut hangup) => {}
                }
                match keyring.reload() {
                    Some(Ok(devices)) => eprintln!("ledger-server: tokens reloaded: {devices} devices"),
                    Some(Err(error)) => eprintln!("ledger-server: {error}; the previous tokens stay in use"),
                    None => {}
                }
            }
        });
    }
}

fn read(path: &Path) -> Result<String, TokensError> {
    std::fs::read_to_string(path).map_err(|e| TokensError::Read { path: path.to_owned(), reason: e.to_string() })
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

#[cfg(unix)]
fn hangups() -> Hangups {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}
#[cfg(not(unix))]
fn hangups() -> Hangups {
    None
}

/// The next SIGHUP; never, where there are none.
async fn next_hangup(hangups: &mut Hangups) -> Option<()> {
    #[cfg(unix)]
    if let Some(signal) = hangups {
        return signal.recv().await;
    }
    let _ = hangups;
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn table(text: &str) -> Result<HashMap<Key, Caller>, TokensError> {
        parse(Path::new("tokens"), text)
    }

    #[test]
    fn lines_name_a_tenant_and_a_device() {
        let text = format!("# devices\n\n{A} acme Alice's phone\n  {B}\tacme   laptop  \n");
        let table = table(&text).unwrap();
        assert_eq!(table.len(), 2);
        let alice = table.get(&digest(A.as_bytes())).unwrap();
        assert_eq!((alice.tenant.as_str(), alice.device.as_str()), ("acme", "Alice's phone"));
        assert_eq!(table.get(&digest(B.as_bytes())).unwrap().device.as_str(), "laptop");
        assert!(!table.contains_key(&digest(b"nope")));
    }

    #[test]
    fn a_bad_line_is_named_and_no_token_shown() {
        let line = |text: &str| match table(text) {
            Err(TokensError::Line { line, reason, .. }) => (line, reason),
            other => panic!("{other:?}"),
        };
        assert_eq!(line(&format!("# x\n{A} acme phone\nshort acme phone")).0, 3);
        for bad in [
            A.to_owned(),
            format!("{A} acme"),
            format!("{A} ac-me phone"),
            format!("{A} acme {}", "x".repeat(65)),
            format!("{A}é acme phone"),
            format!("{A} acme phone\n{A} other tablet"),
        ] {
            let (at, reason) = line(&bad);
            assert!(at >= 1 && !reason.contains(A), "{bad}: {reason}");
            let message = table(&bad).unwrap_err().to_string();
            assert!(!message.contains(A), "{message}");
        }
    }

    #[test]
    fn a_changed_file_is_read_again_and_a_bad_one_keeps_the_table() {
        let dir = std::env::temp_dir().join(format!("ledger-tokens-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokens");
        std::fs::write(&path, format!("{A} acme phone\n{B} acme laptop\n")).unwrap();
        let keyring = Keyring::load(&path).unwrap();
        assert_eq!((keyring.len(), keyring.reload()), (2, None));
        std::fs::write(&path, format!("{A} acme phone\n")).unwrap();
        assert_eq!(keyring.reload(), Some(Ok(1)));
        assert!(keyring.caller(&digest(B.as_bytes())).is_none(), "the removed line is revoked");
        std::fs::write(&path, "broken\n").unwrap();
        assert!(matches!(keyring.reload(), Some(Err(TokensError::Line { line: 1, .. }))));
        assert_eq!(keyring.reload(), None, "said once");
        assert!(keyring.caller(&digest(A.as_bytes())).is_some(), "the previous table stays");
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(keyring.reload(), Some(Err(TokensError::Read { .. }))));
        assert_eq!(keyring.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(Keyring::load(&path).is_err());
    }
}
