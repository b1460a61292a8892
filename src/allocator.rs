//! The memory allocator's settings: trawl runs on mimalloc (`main.rs`),
//! told to give memory back as soon as it is free.
//!
//! Pages come and go by the thousand, in sizes from a few KiB to MiB. With
//! glibc's malloc, allocation and free took ~15% of the CPU of a crawl of
//! small pages; mimalloc takes less. Its defaults commit whole arenas,
//! keep freed memory for 10 ms before returning it and ask for transparent
//! huge pages, which on the Python docs (few pages of up to 2 MiB) raised
//! peak RSS from 39 MiB (glibc) to 54-110 MiB; committing on use, purging at
//! once and no huge pages bring it to 36 MiB (bench/RESULTS.md has the
//! speed and memory of both on every corpus).

// mimalloc's option numbers (`mi_option_t`, mimalloc 2.x `mimalloc.h`):
// the crate names only some of them. The unit test below checks them
// against their documented defaults, so a renumbering fails the build's tests.
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const ALLOW_THP: libmimalloc_sys::mi_option_t = 37;

// Huge pages: mimalloc asks for them when it maps memory (compiled out by
// the crate's `no_thp` feature) and turns them off for the process at its
// start only if told by the environment; `tune` runs later, so it turns
// them off itself (`prctl`), for kernels whose default is `always`.

/// Commit memory as it is used, purge it as soon as it is free, no
/// transparent huge pages. Call first thing in `main`.
#[allow(unsafe_code)]
pub fn tune() {
    // SAFETY: mi_option_set only stores an option value; the numbers are
    // valid options of the linked mimalloc (see the test), and this runs
    // before any thread but the main one exists.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        libmimalloc_sys::mi_option_set(ALLOW_THP, 0);
    }
    // Refused only by kernels without the flag (before 3.15): nothing to undo.
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(unsafe_code)]
    fn option_numbers_are_the_documented_ones() {
        // SAFETY: reading an option has no precondition.
        let (arena, purge, thp, last) = unsafe {
            (
                libmimalloc_sys::mi_option_get(ARENA_EAGER_COMMIT),
                libmimalloc_sys::mi_option_get(PURGE_DELAY),
                libmimalloc_sys::mi_option_get(ALLOW_THP),
                libmimalloc_sys::_mi_option_last,
            )
        };
        // The defaults: arenas committed on overcommit systems (2), 10 ms,
        // huge pages allowed; allow_thp is the last option.
        assert_eq!(arena, 2);
        assert_eq!(purge, 10);
        assert_eq!(thp, 1);
        assert_eq!(ALLOW_THP + 1, last);
    }
}
