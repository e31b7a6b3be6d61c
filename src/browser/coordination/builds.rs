//! Tabs of another build of the app, open side by side after a deploy: how
//! this tab reacts to hearing one (see the protocol in wire.rs).

use super::tabs::Role;
use super::wire::{TabMessage as Message, PROTOCOL};
use crate::browser::BrowserLedger;

/// A tab of another build, as this one heard of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OtherBuild {
    /// A newer build is open: this tab is out of date.
    Newer,
    /// The tab that writes runs an older build, which can't read this one's
    /// commands.
    OlderWriter,
}

impl OtherBuild {
    /// What the page tells the user: this tab does not send commands until
    /// it is reloaded.
    pub(super) fn message(self) -> &'static str {
        match self {
            OtherBuild::Newer => "A newer version of this app is open in another tab. Reload this page to go on; until then it shows the ledger but does not change it.",
            OtherBuild::OlderWriter => "Another tab runs an older version of this app and writes the ledger. Reload or close that tab to go on; until then this one does not change the ledger.",
        }
    }
}

/// A message of another build's protocol was heard.
pub(super) fn heard_other(page: &BrowserLedger, protocol: u32, from_writer: bool) {
    let tabs = page.tabs();
    if tabs.role() == Role::Leader {
        // Tell a follower of another build that its commands go unread.
        if !from_writer {
            tabs.post(&Message::Unspoken { protocol });
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
    if tabs.other_build.replace(Some(other)) != Some(other) {
        page.changed();
    }
}
