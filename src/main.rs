//! The app's entry point: mount the UI. The JS API is exported by the lib.
//! Built with the `bench` feature (the benchmark's page) it mounts nothing:
//! the page only calls the exports of src/bench.rs.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    #[cfg(not(feature = "bench"))]
    {
        remove_shell();
        leptos::mount::mount_to_body(bank_ledger::App);
    }
    #[cfg(feature = "bench")]
    bank_ledger::bench::link();
}

/// Removes index.html's app shell (the header painted before the wasm
/// arrived); the app mounts in the same task, so no frame shows neither.
#[cfg(all(target_arch = "wasm32", not(feature = "bench")))]
fn remove_shell() {
    let shell = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("shell"));
    if let Some(shell) = shell {
        shell.remove();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The ledger runs in the browser: build it with `trunk serve` (see README.md).");
}
