//! Output: the single writer (records to stdout or `-o FILE`, as JSON Lines
//! or CSV) and the end-of-run summary (`--stats`).
//!
//! Receives finished `Record`s over one bounded channel; writes whole lines
//! only, in batches, under the output lock that a second signal takes before
//! exiting, so no half-written line is ever left. Never writes anything but
//! records to stdout.

pub mod encode;
pub mod summary;
pub mod writer;

pub use summary::Stats;
pub use writer::{Commits, OutputLock, OutputSpec, WriterHandle, WriterMsg};
