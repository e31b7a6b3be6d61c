//! Where this copy of the app was served from, and the names that keep
//! copies at two paths of one origin apart: the one owner of that
//! derivation (docs/storage-format.md, "Copies at two paths").
//!
//! An origin's localStorage, Web Locks, BroadcastChannels and caches are
//! shared by every page of it, and a person's project sites
//! (`user.github.io/a/`, `user.github.io/b/`) are one origin. So every name
//! the app gives one of them carries the copy's *scope*: the folder its page
//! was served from, `location.pathname` up to its last `/` (the service
//! worker's scope, registered as `sw.js` beside the page). At the root, `/`,
//! the names are the ones the app always had, so a ledger kept there keeps
//! its data. Under any other folder each name ends in `@` and the folder as
//! `encodeURIComponent` writes it: no `/` is left in it, so no copy's keys
//! can begin with another's.
//!
//! | name                        | at `/`               | at `/some/path/`                     |
//! |-----------------------------|----------------------|--------------------------------------|
//! | the store's namespace       | `ledger`             | `ledger@%2Fsome%2Fpath%2F`           |
//! | the writer's lease, mark    | `ledger/tabs/lease`  | `ledger@%2Fsome%2Fpath%2F/tabs/lease` |
//! | the Web Lock                | `ledger-writer`      | `ledger-writer@%2Fsome%2Fpath%2F`    |
//! | the tabs' BroadcastChannel  | `ledger-v1`          | `ledger-v1@%2Fsome%2Fpath%2F`        |
//! | the service worker's cache  | `ledger-v1`          | `ledger-v1@%2Fsome%2Fpath%2F`        |
//!
//! The cache is named by sw.js, which applies the same rule to its own
//! scope (`self.registration.scope`).
//!
//! Pure: compiled and tested natively too; [`Scope::here`] reads the page's
//! location.

/// The store's namespace at the root, the app's since its first format.
pub const NAMESPACE: &str = "ledger";
/// The Web Lock at the root: one writer for all the tabs of a copy.
const LOCK: &str = "ledger-writer";
/// The tabs' channel at the root; every build of a copy meets on it.
const CHANNEL: &str = "ledger-v1";

/// The names of one copy of the app, derived from its folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// `""` at the root, else `@` and the folder, encoded.
    suffix: String,
}

impl Scope {
    /// The names of a copy served from `folder` (`/`, or `/some/path/`).
    pub fn of(folder: &str) -> Scope {
        let suffix = if folder == "/" { String::new() } else { format!("@{}", encode_component(folder)) };
        Scope { suffix }
    }

    /// The names of the copy served from `path` (a page's
    /// `location.pathname`): its folder is the path up to its last `/`.
    pub fn of_page(path: &str) -> Scope {
        Scope::of(path.rfind('/').map_or("/", |end| &path[..=end]))
    }

    /// The names of this page's copy. The root's when the location can't be
    /// read (no window: a worker, a test without a page).
    #[cfg(target_arch = "wasm32")]
    pub fn here() -> Scope {
        let path = web_sys::window().and_then(|window| window.location().pathname().ok());
        Scope::of_page(path.as_deref().unwrap_or("/"))
    }

    /// The store's namespace: its keys are `{namespace}/v2/…`,
    /// `{namespace}/sync/…` (core/src/store/keys.rs).
    pub fn namespace(&self) -> String {
        format!("{NAMESPACE}{}", self.suffix)
    }

    /// The key of the writer's lease (coordination/lease.rs): outside the
    /// store's keys.
    pub fn lease(&self) -> String {
        format!("{}/tabs/lease", self.namespace())
    }

    /// The key of the writer's mark (coordination/handover.rs): outside the
    /// store's keys.
    pub fn mark(&self) -> String {
        format!("{}/tabs/writer", self.namespace())
    }

    /// The Web Lock the writing tab holds.
    pub fn lock(&self) -> String {
        format!("{LOCK}{}", self.suffix)
    }

    /// The BroadcastChannel the tabs talk on.
    pub fn channel(&self) -> String {
        format!("{CHANNEL}{}", self.suffix)
    }
}

/// `text` as JavaScript's `encodeURIComponent` writes it: ASCII letters,
/// digits and `-_.!~*'()` as they are, every other byte of its UTF-8 as
/// `%XX` (uppercase hex).
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            for nibble in [byte >> 4, byte & 0xf] {
                out.push(char::from_digit(u32::from(nibble), 16).map_or('0', |c| c.to_ascii_uppercase()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_keeps_the_names_the_app_always_had() {
        let root = Scope::of("/");
        assert_eq!(root.namespace(), "ledger");
        assert_eq!(root.lease(), "ledger/tabs/lease");
        assert_eq!(root.mark(), "ledger/tabs/writer");
        assert_eq!(root.lock(), "ledger-writer");
        assert_eq!(root.channel(), "ledger-v1");
        for page in ["/", "/index.html", ""] {
            assert_eq!(Scope::of_page(page), root, "{page}");
        }
    }

    #[test]
    fn a_sub_path_gets_names_of_its_own() {
        let copy = Scope::of("/some/path/");
        assert_eq!(copy.namespace(), "ledger@%2Fsome%2Fpath%2F");
        assert_eq!(copy.lease(), "ledger@%2Fsome%2Fpath%2F/tabs/lease");
        assert_eq!(copy.mark(), "ledger@%2Fsome%2Fpath%2F/tabs/writer");
        assert_eq!(copy.lock(), "ledger-writer@%2Fsome%2Fpath%2F");
        assert_eq!(copy.channel(), "ledger-v1@%2Fsome%2Fpath%2F");
        for page in ["/some/path/", "/some/path/index.html"] {
            assert_eq!(Scope::of_page(page), copy, "{page}");
        }
        // Without its slash the page's folder is /some/, another copy.
        assert_eq!(Scope::of_page("/some/path").namespace(), "ledger@%2Fsome%2F");
    }

    #[test]
    fn no_copys_keys_begin_with_anothers() {
        // Folders that would collide if the path were kept as it is: the
        // keys of `/a/` are `ledger@/a//v2/…`, which `/a//v2/x/` would share.
        let folders = ["/", "/a/", "/a/b/", "/a//v2/x/", "/a%2F/", "/ä/", "/x@y/"];
        let roots: Vec<String> = folders.iter().map(|f| format!("{}/v2/", Scope::of(f).namespace())).collect();
        for (i, one) in roots.iter().enumerate() {
            for (j, other) in roots.iter().enumerate() {
                assert!(i == j || !other.starts_with(one.as_str()), "{one} is a prefix of {other}");
            }
        }
    }

    #[test]
    fn the_encoding_is_encode_uri_component() {
        assert_eq!(encode_component("/a b/ä/%41/x@y/-_.!~*'()/"), "%2Fa%20b%2F%C3%A4%2F%2541%2Fx%40y%2F-_.!~*'()%2F");
    }
}
