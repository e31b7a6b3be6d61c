//! Tabs of another build of the app, open side by side after a deploy: how
//! this tab reacts to hearing one (see the protocol in core's ledger/wire.rs).

use std::cell::Cell;

use super::{post, role, Role};
use crate::browser::notify_change;
use crate::{TabMessage as Message, PROTOCOL};

/// A tab of another build, as this one heard of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OtherBuild {
    /// A newer build is open: this tab is out of date.
    Newer,
    /// The tab that writes runs an older build, which can't read this one's
    /// commands.
    OlderWriter,
}

thread_local! {
    static OTHER_BUILD: Cell<Option<OtherBuild>> = const { Cell::new(None) };
}

/// What the page should tell the user about tabs of another build, if
/// anything: this tab does not send commands until it is reloaded.
pub fn other_build() -> Option<&'static str> {
    OTHER_BUILD.with(Cell::get).map(|other| match other {
        OtherBuild::Newer => "A newer version of this app is open in another tab. Reload this page to go on; until then it shows the ledger but does not change it.",
        OtherBuild::OlderWriter => "Another tab runs an older version of this app and writes the ledger. Reload or close that tab to go on; until then this one does not change the ledger.",
    })
}

/// A message of another build's protocol was heard.
pub(super) fn heard_other(protocol: u32, from_writer: bool) {
    if role() == Role::Leader {
        // Tell a follower of another build that its commands go unread.
        if !from_writer {
            post(&Message::Unspoken { protocol });
        }
        return;
    }
    let other = if protocol > PROTOCOL {
        OtherBuild::Newer
    } else if from_writer {
        OtherBuild::OlderWriter
    } else {
        return;
    };
    if OTHER_BUILD.with(|o| o.replace(Some(other))) != Some(other) {
        notify_change();
    }
}
