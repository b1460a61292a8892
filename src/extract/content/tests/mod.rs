//! Content extraction on pages written here, one for each kind of element.

use super::*;
use crate::extract::dom;

mod rules;

fn run(html: &str, opts: ContentOpts) -> Content {
    let doc = dom::parse(html, dom::Limits::default()).unwrap();
    let url = Url::parse("https://site.test/news/story.html").unwrap();
    content(&doc, &url, opts)
}

fn markdown(html: &str) -> String {
    run(
        html,
        ContentOpts {
            markdown: true,
            ..ContentOpts::default()
        },
    )
    .markdown
    .unwrap()
}

fn text(html: &str) -> String {
    run(
        html,
        ContentOpts {
            text: true,
            ..ContentOpts::default()
        },
    )
    .text
    .unwrap()
}

const PROSE: &str = "Fish and chips is a hot dish of English origin, consisting of fried fish in \
    batter, served with chips. It is a common take-away food, and one of the first.";

fn article_page(article: &str) -> String {
    format!(
        r#"<html lang="en-GB"><head><title>T</title>
        <meta name="description" content=" About   fish ">
        <link rel="canonical" href="/canonical/story">
        <script>document.write("script text")</script><style>p {{ color: red }}</style></head>
        <body>
        <nav><a href="/">Home</a> <a href="/news">News</a></nav>
        <header class="site-header"><a href="/">Site logo</a> <p>Site tagline</p></header>
        <div id="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div>
        <div class="share-bar"><a href="https://social.test/share">Share this</a></div>
        <article>{article}</article>
        <aside><h3>Sidebar heading</h3><p>{PROSE} Sidebar.</p></aside>
        <div class="comments"><p>{PROSE} A comment.</p></div>
        <footer><p>Copyright footer text</p></footer>
        <script>var tracking = "script in body";</script>
        </body></html>"#
    )
}

#[test]
fn boilerplate_is_left_out_and_the_article_kept() {
    let page = article_page(&format!("<h1>Fish</h1><p>{PROSE}</p><p>Second {PROSE}</p>"));
    let md = markdown(&page);
    assert!(md.starts_with("# Fish\n\nFish and chips"), "{md}");
    assert!(md.contains("Second Fish and chips"), "{md}");
    for gone in [
        "Home",
        "Site logo",
        "Site tagline",
        "cookies",
        "Accept",
        "Share this",
        "Sidebar",
        "A comment",
        "Copyright",
        "script",
        "color",
    ] {
        assert!(!md.contains(gone), "{gone:?} in {md}");
    }
}

#[test]
fn head_fields() {
    let c = run(&article_page("<p>x</p>"), ContentOpts::default());
    assert_eq!(c.lang.as_deref(), Some("en-GB"));
    assert_eq!(c.description.as_deref(), Some("About fish"));
    assert_eq!(
        c.canonical.as_deref(),
        Some("https://site.test/canonical/story")
    );
    let bare = run("<p>x</p>", ContentOpts::default());
    assert_eq!(
        (bare.lang, bare.description, bare.canonical),
        (None, None, None)
    );
    let og = run(
        r#"<html><head><meta property="og:description" content="From OG">
        <meta http-equiv="Content-Language" content="de, en"></head></html>"#,
        ContentOpts::default(),
    );
    assert_eq!(og.description.as_deref(), Some("From OG"));
    assert_eq!(og.lang.as_deref(), Some("de"));
}

#[test]
fn lists_tables_code_and_emphasis_are_markdown() {
    let page = article_page(&format!(
        r#"<p>{PROSE}</p>
        <ul><li>Cod</li><li>Haddock, <strong>mostly</strong><ul><li>Smoked</li></ul></li></ul>
        <ol start="3"><li>Batter</li><li>Fry</li></ol>
        <pre><code class="language-python">def fry(fish):
    return fish
</code></pre>
        <p>Call <code>fry()</code> with <em>fresh</em> fish.</p>
        <p>Words in<em>fused</em> and <a href="/s">s</a>elf.</p>
        <table><thead><tr><th>Fish</th><th>Price</th></tr></thead>
        <tbody><tr><td>Cod</td><td>5 | 6</td></tr><tr><td>Plaice</td><td>7</td></tr></tbody></table>
        <blockquote><p>Quoted {PROSE}</p></blockquote>"#
    ));
    let md = markdown(&page);
    for want in [
        "- Cod\n- Haddock, **mostly**\n  - Smoked",
        "3. Batter\n4. Fry",
        "```python\ndef fry(fish):\n    return fish\n```",
        "Call `fry()` with *fresh* fish.",
        "in*fused* and [s](https://site.test/s)elf",
        "| Fish | Price |\n| --- | --- |\n| Cod | 5 \\| 6 |\n| Plaice | 7 |",
        "> Quoted Fish and chips",
    ] {
        assert!(md.contains(want), "{want:?} not in\n{md}");
    }
    let t = text(&page);
    assert!(t.contains("Haddock, mostly"), "{t}");
    assert!(t.contains("def fry(fish):\n    return fish"), "{t}");
    assert!(t.contains("Cod\t5 | 6"), "{t}");
    assert!(
        !t.contains("**") && !t.contains("```") && !t.contains("| ---"),
        "{t}"
    );
}

#[test]
fn links_and_images_are_absolute_and_empty_ones_dropped() {
    let page = article_page(&format!(
        r#"<p>{PROSE} See <a href="../about.html#team">the team</a>, <a href="mailto:a@site.test">mail</a>,
        <a href="javascript:void(0)">a script</a> and <a href="/empty"></a><a href="/icon"><img src="/i.png" alt=""></a>.</p>
        <p><img src="photo.jpg" alt="A fish"><img src="/pixel.gif" width="1" height="1" alt="pixel">
        <img src="data:image/gif;base64,R0lGOD" alt="inline"></p>"#
    ));
    let md = markdown(&page);
    assert!(
        md.contains("[the team](https://site.test/about.html#team)"),
        "{md}"
    );
    assert!(md.contains("[mail](mailto:a@site.test)"), "{md}");
    assert!(
        md.contains(" a script and"),
        "javascript: links keep their text: {md}"
    );
    assert!(!md.contains("/empty"), "{md}");
    assert!(
        md.contains("![A fish](https://site.test/news/photo.jpg)"),
        "{md}"
    );
    assert!(!md.contains("pixel") && !md.contains("data:"), "{md}");
    assert!(
        !md.replace("![](", "").contains("[]("),
        "no empty link text: {md}"
    );
    assert!(
        md.contains("[![](https://site.test/i.png)](https://site.test/icon)"),
        "{md}"
    );
}

#[test]
fn an_index_page_falls_back_to_the_whole_page() {
    let items: String = (0..30)
        .map(|i| format!("<li><a href=\"/p/{i}\">Story number {i}</a></li>"))
        .collect();
    let page = format!(
        "<html><body><h1>Index</h1><ul>{items}</ul><nav><a href=/>Home</a></nav></body></html>"
    );
    let md = markdown(&page);
    assert!(md.contains("# Index"), "{md}");
    assert!(
        md.contains("- [Story number 29](https://site.test/p/29)"),
        "{md}"
    );
    assert!(!md.contains("Home"), "boilerplate is still left out: {md}");
}

#[test]
fn a_page_of_text_is_never_empty() {
    // All of it is navigation: the whole page, not nothing.
    let md =
        markdown("<html><body><nav><a href=/a>Only</a> <a href=/b>links</a></nav></body></html>");
    assert_eq!(
        md,
        "[Only](https://site.test/a) [links](https://site.test/b)"
    );
    assert_eq!(markdown("<p>Just a line.</p>"), "Just a line.");
    assert_eq!(markdown("<html><body></body></html>"), "");
}

#[test]
fn whole_page_keeps_navigation_but_not_scripts() {
    let page = article_page(&format!("<p>{PROSE}</p>"));
    let c = run(
        &page,
        ContentOpts {
            text: true,
            whole_page: true,
            ..ContentOpts::default()
        },
    );
    let t = c.text.unwrap();
    for kept in [
        "Home",
        "Site tagline",
        "Sidebar heading",
        "Copyright footer text",
        "Fish and chips",
    ] {
        assert!(t.contains(kept), "{kept:?} not in {t}");
    }
    assert!(!t.contains("script") && !t.contains("Accept"), "{t}");
}

#[test]
fn markdown_characters_in_text_are_escaped() {
    let md =
        markdown("<p>a *star* [link] snake_case _under_ \\ back `tick`</p><p># not a heading</p>");
    assert_eq!(
        md,
        "a \\*star\\* \\[link\\] snake_case \\_under\\_ \\\\ back \\`tick\\`\n\n\\# not a heading"
    );
}

#[test]
fn layout_tables_are_blocks_not_tables() {
    let page = format!(
        "<table><tr><td><p>{PROSE}</p><p>Second {PROSE}</p></td><td><p>Other column</p></td></tr></table>"
    );
    let md = markdown(&page);
    assert!(!md.contains('|'), "{md}");
    assert!(md.contains("Second Fish"), "{md}");
}

#[test]
fn json_ld_article_body_when_the_page_shows_little() {
    let body = "First paragraph of the article, long enough to count. ".repeat(10);
    let page = format!(
        r#"<html><head><script type="application/ld+json">
        {{"@graph": [{{"@type": "WebPage"}}, {{"@type": "NewsArticle",
          "articleBody": "{body}\nSecond *paragraph*."}}]}}</script>
        <script type="application/ld+json">{{ not json </script></head>
        <body><div id="app"><p>Loading…</p></div></body></html>"#
    );
    let md = markdown(&page);
    assert!(md.starts_with("First paragraph"), "{md}");
    assert!(md.ends_with("\n\nSecond \\*paragraph\\*."), "{md}");
    // A page with its article in the HTML keeps it.
    let shown = markdown(&article_page(&format!(
        "<p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p>"
    )));
    assert!(shown.starts_with("Fish and chips"), "{shown}");
}

#[test]
fn soft_hyphens_and_zero_width_spaces_are_left_out() {
    let page = article_page(&format!(
        "<p>Ita&shy;li&shy;ens Wei&#x200B;ne, &#xFEFF;neben Ba\u{ad}rolo. &#x200B; {PROSE}</p>"
    ));
    let text = text(&page);
    assert!(
        text.starts_with("Italiens Weine, neben Barolo. Fish and chips"),
        "{text}"
    );
}

#[test]
fn a_lead_set_apart_from_the_body_is_put_in_front() {
    let page = format!(
        r#"<html><body><nav><a href="/">Home</a></nav>
        <div class="story"><header class="story-header"><h1>Headline</h1>
        <p class="story-lead">The lead, in bold type: what the story says in two lines.</p>
        <div class="teaser-links"><a href="/other">Another story, a teaser linking elsewhere</a></div></header>
        <div class="article-body"><p>Body. {PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></div></div>
        <div class="related"><p class="intro">The intro of a box after the story, not its lead.</p></div>
        </body></html>"#
    );
    let md = markdown(&page);
    assert!(
        md.starts_with("The lead, in bold type: what the story says in two lines.\n\nBody."),
        "{md}"
    );
    assert!(
        !md.contains("Another story") && !md.contains("after the story"),
        "{md}"
    );
    // The story's opening shown above a slideshow as well: once.
    let page = format!(
        r#"<html><body><header class="story-header"><h1>Headline</h1>
        <div class="intro-text"><p>Opening. A slideshow's first slide.</p></div></header>
        <div itemprop="articleBody"><p>Opening. A slideshow's first slide.</p><p>{PROSE}</p><p>{PROSE}</p></div>
        </body></html>"#
    );
    let text = text(&page);
    assert_eq!(text.matches("Opening.").count(), 1, "{text}");
}

#[test]
fn a_space_at_the_start_of_an_inline_element_stays() {
    let page = article_page(&format!(
        r#"<p>Compite en la<strong> Copa de Naciones</strong> y en el<a href="/m"> Mundial</a>. {PROSE}</p>"#
    ));
    let text = text(&page);
    assert!(
        text.starts_with("Compite en la Copa de Naciones y en el Mundial. Fish"),
        "{text}"
    );
    let md = markdown(&page);
    assert!(
        md.starts_with(
            "Compite en la **Copa de Naciones** y en el [Mundial](https://site.test/m). Fish"
        ),
        "{md}"
    );
}

#[test]
fn headings_over_nothing_and_image_credits_are_left_out() {
    let md = markdown(&article_page(&format!(
        r#"<h1>Fish</h1><p>{PROSE}</p>
        <div class="image"><img src="/fish.jpg" alt="A fish">
          <span class="image-credit">Photo: Agency Name</span></div>
        <h2>History</h2><h3>Origins</h3><p>{PROSE} Origins.</p>
        <h4>It began in London, with a shop that sold fried fish and chips in paper.</h4>
        <h2>Read more</h2><ul><li><a href="/a">A</a></li><li><a href="/b">B</a></li></ul>"#
    )));
    assert!(md.starts_with("# Fish\n\n"), "{md}");
    assert!(md.contains("## History\n\n### Origins\n\n"), "{md}");
    // A heading that reads as a sentence is content, even last.
    assert!(md.ends_with("paper."), "{md}");
    assert!(!md.contains("Read more"), "{md}");
    assert!(!md.contains("Agency"), "{md}");
}

#[test]
fn a_short_find_on_a_page_of_text_widens_to_the_page() {
    // A lead that names itself the content (1,000 characters), and five
    // times as much text in the steps beside it.
    let lead = format!("<p>{PROSE}</p>").repeat(8);
    let steps: String = (1..=50)
        .map(|i| format!("<li>Step {i}: {PROSE}</li>"))
        .collect();
    let md = markdown(&format!(
        r#"<html><body><nav><a href="/">Home</a></nav>
        <div class="recipe"><div class="entry-content">{lead}<p>The lead ends.</p></div>
        <ol class="steps">{steps}</ol></div></body></html>"#
    ));
    assert!(md.contains("The lead ends."), "{md}");
    assert!(md.contains("Step 50: Fish"), "{md}");
    assert!(!md.contains("Home"), "{md}");
}

#[test]
fn forms_datelines_teasers_and_related_sections_are_left_out() {
    let md = markdown(&article_page(&format!(
        r#"<h1>Fish</h1><p class="dateline"><time datetime="2026-01-02">2 January 2026</time></p>
        <p>{PROSE} Opened on <time datetime="1860-01-01">1 January 1860</time>.</p>
        <form action="/subscribe"><label>Your e-mail</label><input name="e"></form>
        <div class="teaser"><a href="/other">Another story</a> <p>About another story, short.</p></div>
        <h2>History</h2><p>{PROSE} History.</p>
        <h3>Related articles</h3><div class="cards"><p>{PROSE} Unrelated.</p></div>
        <p><strong>Read more:</strong></p><ul><li><a href="/a">A story</a></li></ul>"#
    )));
    assert!(md.contains("Opened on 1 January 1860."), "{md}");
    assert!(md.contains("## History"), "{md}");
    // The heading and the label go; what they head is left to the rules
    // for links and teasers.
    assert!(md.contains("Unrelated."), "{md}");
    for gone in [
        "2 January 2026",
        "e-mail",
        "another story",
        "Related",
        "Read more",
        "A story",
    ] {
        assert!(!md.contains(gone), "{gone} in {md}");
    }
}

#[test]
fn a_form_that_holds_the_page_is_not_boilerplate() {
    let md = markdown(&format!(
        r#"<html><body><form id="aspnetForm" action="/page.aspx">
        <nav><a href="/">Home</a></nav><div class="story"><p>{PROSE}</p><p>{PROSE} Second.</p></div>
        </form></body></html>"#
    ));
    assert!(md.contains("Second."), "{md}");
    assert!(!md.contains("Home"), "{md}");
}

#[test]
fn articles_that_are_parts_of_one_page_are_kept_together() {
    let posts: String = (1..=3)
        .map(|i| format!(r#"<article><h2>By user {i}</h2><div class="body"><p>Post {i}. {PROSE}</p><p>{PROSE}</p></div></article>"#))
        .collect();
    let teasers: String = (1..=3)
        .map(|i| {
            format!(
                r#"<article><a href="/s{i}">Story {i}, a story elsewhere on the site</a></article>"#
            )
        })
        .collect();
    let md = markdown(&format!(
        "<html><body><main>{posts}</main><section>{teasers}</section></body></html>"
    ));
    assert!(md.contains("Post 1.") && md.contains("Post 3."), "{md}");
    assert!(!md.contains("Story 2"), "{md}");
    // A story told in sections, an `<article>` in each, and teasers.
    let sections: String = (1..=3)
        .map(|i| {
            format!(r#"<section><div><article><p>Part {i}. {PROSE}</p><p>{PROSE}</p></article></div></section>"#)
        })
        .collect();
    let md = markdown(&format!(
        "<html><body><div>{sections}</div><section>{teasers}</section></body></html>"
    ));
    assert!(md.starts_with("Part 1.") && md.contains("Part 3."), "{md}");
    assert!(!md.contains("Story 2"), "{md}");
    // An article body in sections, each marked `articleBody`, with
    // something else between them.
    let md = markdown(&format!(
        r#"<html><body><div><section itemprop="articleBody"><p>First section. {PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></section>
        <div class="box"><div><p>Box between the sections, unmarked. {PROSE}</p></div></div>
        <div><section itemprop="articleBody"><p>Second section. {PROSE}</p></section></div></div></body></html>"#
    ));
    assert!(
        md.starts_with("First section.") && md.contains("Second section."),
        "{md}"
    );
    assert!(!md.contains("Box between"), "{md}");
}
