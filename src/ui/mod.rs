//! The Leptos UI: components that render the ledger and dispatch commands to
//! it. They hold no rules: the page's ledger (a `BrowserLedger` in Leptos
//! context) decides; `state.rs` keeps what the page last read of it.
//!
//! `app.rs` wires the page together; each other file is one component, named
//! for what it shows.

mod account_panel;
mod accounts_list;
mod alert;
mod amount_form;
mod app;
mod balance_chart;
mod chart_geometry;
mod download;
mod field;
mod format;
mod history_table;
mod keep_note;
mod messages;
mod offline_badge;
mod open_account_form;
mod other_build;
mod sender;
mod state;
mod storage_meter;
mod sync_card;
mod sync_notes;
mod time_travel;
mod your_data;

pub use app::App;
pub use format::Numbers;
