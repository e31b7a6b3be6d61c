//! What tests and benchmarks need and the product does not: stand-ins for
//! the clock, the id source and a failing disk, a writer of the old storage
//! format, and the original design kept as a yardstick. Compiled only for
//! the core's own tests and with the `testing` feature (the workspace's
//! tests and the benchmark page turn it on); the app never sees it.

mod doubles;
mod legacy;
mod naive;

pub use crate::store::decode_record;
pub use doubles::{CountingIds, FailingKv, ManualClock};
pub use legacy::encode_record;
pub use naive::{execute_replaying, NaiveStore};

/// The segment codec, for tests that forge stored data the way an editor
/// of localStorage would.
pub use crate::store::segment;
