//! One writer for all the tabs of a copy of the app (of an origin, when it
//! is served from the root; copies at other paths have names of their own:
//! scope.rs).
//!
//! localStorage has no transactions, and each tab's renderer keeps its own
//! copy that learns of other tabs' writes a little later. Two tabs that both
//! write can therefore both decide against the same stale version and one
//! overwrites the other. So exactly one tab writes: the one holding the Web
//! Lock `ledger-writer` (the *leader*; at the root: the names are the
//! copy's, scope.rs), a name every build keeps for good.
//! Its copy of localStorage is current, because nobody else writes. Every
//! other tab (a *follower*) sends its commands to the leader over the
//! BroadcastChannel `ledger-v1` and gets the result back. Each command
//! carries a command id, kept wherever the command finally runs, so a
//! follower can resend after a timeout (the leader closed, a message was
//! lost) without it being done twice; one that gets no answer at all says
//! so (`OutcomeUnknown`) rather than claim a failure. When the leader closes,
//! the lock passes to a waiting follower, which takes over once the old
//! leader's writes have all reached it (handover.rs).
//!
//! Messages carry their protocol number (wire.rs). A tab that
//! hears another protocol knows a tab of another build is open: the leader
//! answers that it does not speak it, and a follower that finds a newer
//! build open, or an older one writing, stops sending commands and asks for
//! a reload. Format 1 data is migrated by the leader only.
//!
//! Without the Web Locks API (an insecure context, an old browser), or when
//! the lock request fails, the tab that writes is the one holding a lease in
//! storage (lease.rs), and the others send it their commands the same way.
//! A tab whose role is still unknown refuses to write.
//!
//! `wire.rs` is the text of the messages; `tabs.rs` the roles, the channel
//! and the commands' paths; `election.rs` how a tab comes to write (the lock,
//! the lease) and takes over; `waiting.rs` the requests waiting on the
//! writer; `handover.rs`, `lease.rs` and `builds.rs` the hand-over between
//! writers, the lease and tabs of other builds.

// Pure Rust: compiled and tested natively too; used by the wasm32 code only.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod wire;

#[cfg(target_arch = "wasm32")]
mod builds;
#[cfg(target_arch = "wasm32")]
mod election;
#[cfg(target_arch = "wasm32")]
mod handover;
#[cfg(target_arch = "wasm32")]
mod lease;
#[cfg(target_arch = "wasm32")]
mod tabs;
#[cfg(target_arch = "wasm32")]
mod waiting;

#[cfg(target_arch = "wasm32")]
pub(super) use tabs::Tabs;
