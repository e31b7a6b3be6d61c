//! The app's entry point: mount the UI. The JS API is exported by the lib.
//! Built with the `bench` feature (the benchmark's page) it mounts nothing:
//! the page only calls the exports of src/bench.rs.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    #[cfg(not(feature = "bench"))]
    leptos::mount::mount_to_body(bank_ledger::App);
    #[cfg(feature = "bench")]
    bank_ledger::bench::link();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The ledger runs in the browser: build it with `trunk serve` (see README.md).");
}
