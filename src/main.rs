//! The app's entry point: mount the UI. The JS API is exported by the lib.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(bank_ledger::ui::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The ledger runs in the browser: build it with `trunk serve` (see README.md).");
}
