//! The byte scanner against html5ever's DOM on any input: the title and
//! the links must be the same, or the scanner must hand the page to the
//! DOM (or the DOM be past its limits). A disagreement panics with both
//! answers and the page.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Pages reach extraction decoded; odd bytes become U+FFFD as there.
    let html = String::from_utf8_lossy(data);
    let page = url::Url::parse("http://a.test/dir/page.html").expect("a valid literal URL");
    if let Err(why) = trawl::extract::compare_paths(&html, &page) {
        panic!("{why}\npage: {html:?}");
    }
});
