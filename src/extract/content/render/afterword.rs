//! What follows an article rather than belongs to it, by the words of its
//! heading: "Related articles", "Read more", "Comments", "About the
//! author", in the languages most common on the web. Matched whole, on
//! the heading's text in lower case without trailing punctuation; the
//! longer phrases also as the start of a heading ("Das könnte Sie auch
//! interessieren").

/// Headings whose sections are left out.
const HEADINGS: &[&str] = &[
    // English
    "related",
    "related articles",
    "related posts",
    "related stories",
    "related content",
    "related links",
    "related topics",
    "related reading",
    "read more",
    "read next",
    "more stories",
    "more on this topic",
    "more on this story",
    "you may also like",
    "you might also like",
    "recommended for you",
    "most popular",
    "popular posts",
    "trending now",
    "share this",
    "share this article",
    "share this post",
    "about the author",
    "leave a comment",
    "leave a reply",
    "comments",
    "tags",
    // German
    "mehr zum thema",
    "mehr zu diesem thema",
    "das könnte sie auch interessieren",
    "das könnte dich auch interessieren",
    "das könnte dir auch gefallen",
    "das könnte ihnen auch gefallen",
    "auch interessant",
    "lesen sie auch",
    "lesen sie mehr",
    "lies auch",
    "weitere artikel",
    "weitere beiträge",
    "weitere themen",
    "verwandte artikel",
    "verwandte beiträge",
    "verwandte themen",
    "verwandte themenbereiche",
    "ähnliche artikel",
    "ähnliche beiträge",
    "zum weiterlesen",
    "empfehlungen der redaktion",
    "schlagworte",
    "über den autor",
    "über die autorin",
    "kommentare",
    "schreibe einen kommentar",
    "kommentar verfassen",
    "kommentar schreiben",
    "kommentare schreiben",
    "artikel teilen",
    "diesen artikel teilen",
    // French
    "à lire aussi",
    "lire aussi",
    "à voir aussi",
    "sur le même sujet",
    "articles similaires",
    "vous aimerez aussi",
    "commentaires",
    // Spanish, Portuguese
    "te puede interesar",
    "también te puede interesar",
    "lee también",
    "noticias relacionadas",
    "artículos relacionados",
    "comentarios",
    "leia também",
    "veja também",
    "notícias relacionadas",
    "comentários",
    // Italian
    "leggi anche",
    "potrebbe interessarti",
    "ti potrebbe interessare",
    "articoli correlati",
    "commenti",
    // Polish
    "czytaj także",
    "czytaj też",
    "zobacz także",
    "zobacz też",
    "polecamy",
    "komentarze",
    // Dutch
    "lees ook",
    "gerelateerde artikelen",
    "reacties",
];

/// Phrases this long or longer also match the start of a heading.
const PREFIX_FROM: usize = 14;

/// `text` in lower case, without markup escapes, surrounding whitespace and
/// trailing punctuation or counts ("Comments (12):").
fn normal(text: &str) -> String {
    let lower = text.replace('\\', "").to_lowercase();
    lower
        .trim()
        .trim_end_matches(|c: char| !c.is_alphabetic())
        .to_string()
}

/// Whether a heading of `text` heads what follows an article.
pub(super) fn is_heading(text: &str) -> bool {
    if text.chars().count() > 60 {
        return false;
    }
    let t = normal(text);
    HEADINGS.iter().any(|h| {
        t == *h
            || h.len() >= PREFIX_FROM
                && t.strip_prefix(h)
                    .is_some_and(|rest| rest.starts_with(|c: char| !c.is_alphanumeric()))
    })
}

/// Whether a short paragraph of `text` is such a heading written as a
/// label ("Read more:", "**Mehr zum Thema**").
pub(super) fn is_label(text: &str) -> bool {
    is_heading(&text.replace("**", "").replace('*', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_of_what_follows_an_article() {
        assert!(is_heading("Related articles"));
        assert!(is_heading("  Mehr zum Thema: "));
        assert!(is_heading("Comments (12)"));
        assert!(is_heading("Das könnte Sie auch interessieren!"));
        assert!(is_label("**Read more:**"));
        assert!(!is_heading("Related work"));
        assert!(!is_heading("Recommended dosage"));
        assert!(!is_heading("Tags and categories in HTML"));
        assert!(!is_heading("Comments on the draft law"));
    }
}
