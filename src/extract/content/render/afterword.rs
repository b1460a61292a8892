//! What follows an article rather than belongs to it, by the words of its
//! heading: "Related articles", "Read more", "Comments", "About the
//! author", in the languages most common on the web. Matched whole, on
//! the heading's text in lower case without trailing punctuation; the
//! longer phrases also as the start of a heading ("Das könnte Sie auch
//! interessieren"). And credit lines, which say where a story or a photo
//! came from ("Quelle: dpa", "Source: Eurostat"), and the marks of an
//! advertisement's place ("Anzeige", "Advertisement").

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

/// Labels of a credit line: where a photo, a figure or the story came
/// from ("Source: Eurostat", "Quelle: dpa", "Foto: …").
const CREDITS: &[&str] = &[
    "source",
    "sources",
    "photo",
    "photos",
    "image",
    "credit",
    "credits",
    "picture",
    "pictures",
    "quelle",
    "quellen",
    "foto",
    "fotos",
    "bild",
    "bilder",
    "bildquelle",
    "fuente",
    "fonte",
    "crédit",
    "crédits",
    "źródło",
    "zdjęcie",
    "bron",
];

/// The longest credit line, in characters.
const CREDIT_LINE: usize = 80;

/// Whether a paragraph of `text` is a credit line: a credit's label, a
/// colon, and a name ("Quelle: Deutscher Jagdverband").
pub(super) fn is_credit(text: &str) -> bool {
    if text.chars().count() > CREDIT_LINE {
        return false;
    }
    let text = text.replace('*', "");
    text.split_once(':').is_some_and(|(label, _)| {
        let label = label.trim().to_lowercase();
        CREDITS.contains(&label.as_str())
    })
}

/// What marks the place of an advertisement in a story, standing alone
/// ("Anzeige", "Advertisement - story continues below").
const AD_MARKS: &[&str] = &[
    "ad",
    "ads",
    "advert",
    "advertisement",
    "advertisement - story continues below",
    "advertisement - scroll to continue",
    "story continues below advertisement",
    "article continues below advertisement",
    "continue reading below",
    "story continues below",
    "article continues below",
    "sponsored",
    "anzeige",
    "werbung",
    "gesponsert",
    "publicité",
    "publicidad",
    "pubblicità",
    "reklama",
    "advertentie",
];

/// Whether a paragraph of `text` only marks an advertisement's place.
pub(super) fn is_ad_mark(text: &str) -> bool {
    if text.chars().count() > 60 {
        return false;
    }
    let t = normal(text);
    AD_MARKS.contains(&t.trim_start_matches(|c: char| !c.is_alphabetic()))
}

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

    #[test]
    fn advertisement_marks() {
        assert!(is_ad_mark("Anzeige"));
        assert!(is_ad_mark("- Advertisement -"));
        assert!(is_ad_mark("ADVERTISEMENT - story continues below"));
        assert!(is_ad_mark("Werbung:"));
        assert!(!is_ad_mark("Advertisement and its critics"));
        assert!(!is_ad_mark("Ad astra"));
    }

    #[test]
    fn credit_lines() {
        assert!(is_credit("Quelle: Deutscher Jagdverband (DJV)"));
        assert!(is_credit("**Source:** CDC"));
        assert!(is_credit("Źródło: ISBnews"));
        assert!(is_credit("Fotos: Berliner Feuerwehr"));
        assert!(!is_credit("Source code: the repository holds it all."));
        assert!(!is_credit("Photo finish: the race was decided by a hair"));
        assert!(!is_credit(
            "Source: a sentence that goes on long enough to be a paragraph of the story itself."
        ));
    }
}
