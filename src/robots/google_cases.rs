//! Test cases transcribed as data from Google's reference robots.txt
//! parser test suite (google/robotstxt, `robots_test.cc`, Apache-2.0):
//! every `IsUserAgentAllowed` / `AllowedByRobots` expectation, and the
//! suite's cases for the helper functions.
//!
//! Transcribed from the newest `robots_test.cc` of google/robotstxt (last
//! changed in commit a67394c, "RFC cleanup"; the test cases themselves last
//! changed in c8ac4b1, which added `ID_LineSyntax_Groups_OtherRules`).
//! The suite calls `IsUserAgentAllowed(robots, agent, url)`, a thin wrapper
//! around `RobotsMatcher::OneAgentAllowedByRobots`; it makes no direct
//! `AllowedByRobots` calls. URLs are passed to the matcher already
//! %-encoded, as the suite passes them.
//!
//! Names are `TEST name/short suffix`. A case whose test says the behaviour
//! is Google-specific (beyond RFC 9309) has ` [google-specific]` at the end
//! of its name. The five `GoogleOnly_LineTooLong` cases build robots.txt
//! bodies of about 16 KiB and are in `generated_cases()`, not in `CASES`.

/// One expectation: `agent` may (or may not) fetch `url` under `robots`.
pub struct Case {
    /// The TEST name in robots_test.cc, and a short suffix when a test has several cases.
    pub name: &'static str,
    pub robots: &'static str,
    pub agent: &'static str,
    pub url: &'static str,
    pub allowed: bool,
}

// Robots.txt bodies used by more than one case.

const SYSTEM_TEST: &str = "user-agent: FooBot\n\
                           disallow: /\n";

const LINE_SYNTAX_CORRECT: &str = "user-agent: FooBot\n\
                                   disallow: /\n";
const LINE_SYNTAX_INCORRECT: &str = "foo: FooBot\n\
                                     bar: /\n";
const LINE_SYNTAX_NO_COLON: &str = "user-agent FooBot\n\
                                    disallow /\n";

const GROUPS: &str = "allow: /foo/bar/\n\
                      \n\
                      user-agent: FooBot\n\
                      disallow: /\n\
                      allow: /x/\n\
                      user-agent: BarBot\n\
                      disallow: /\n\
                      allow: /y/\n\
                      \n\
                      \n\
                      allow: /w/\n\
                      user-agent: BazBot\n\
                      \n\
                      user-agent: FooBot\n\
                      allow: /z/\n\
                      disallow: /\n";

const GROUPS_OTHER_SITEMAP: &str = "User-agent: BarBot\n\
                                    Sitemap: https://foo.bar/sitemap\n\
                                    User-agent: *\n\
                                    Disallow: /\n";
const GROUPS_OTHER_UNKNOWN: &str = "User-agent: FooBot\n\
                                    Invalid-Unknown-Line: unknown\n\
                                    User-agent: *\n\
                                    Disallow: /\n";

const LINE_NAMES_UPPER: &str = "USER-AGENT: FooBot\n\
                                ALLOW: /x/\n\
                                DISALLOW: /\n";
const LINE_NAMES_LOWER: &str = "user-agent: FooBot\n\
                                allow: /x/\n\
                                disallow: /\n";
const LINE_NAMES_CAMEL: &str = "uSeR-aGeNt: FooBot\n\
                                AlLoW: /x/\n\
                                dIsAlLoW: /\n";

const AGENT_VALUE_UPPER: &str = "User-Agent: FOO BAR\n\
                                 Allow: /x/\n\
                                 Disallow: /\n";
const AGENT_VALUE_LOWER: &str = "User-Agent: foo bar\n\
                                 Allow: /x/\n\
                                 Disallow: /\n";
const AGENT_VALUE_CAMEL: &str = "User-Agent: FoO bAr\n\
                                 Allow: /x/\n\
                                 Disallow: /\n";

const UP_TO_FIRST_SPACE: &str = "User-Agent: *\n\
                                 Disallow: /\n\
                                 User-Agent: Foo Bar\n\
                                 Allow: /x/\n\
                                 Disallow: /\n";

const GLOBAL_GROUP: &str = "user-agent: *\n\
                            allow: /\n\
                            user-agent: FooBot\n\
                            disallow: /\n";
const ONLY_SPECIFIC_GROUPS: &str = "user-agent: FooBot\n\
                                    allow: /\n\
                                    user-agent: BarBot\n\
                                    disallow: /\n\
                                    user-agent: BazBot\n\
                                    disallow: /\n";

const CASE_SENSITIVE_LOWER: &str = "user-agent: FooBot\n\
                                    disallow: /x/\n";
const CASE_SENSITIVE_UPPER: &str = "user-agent: FooBot\n\
                                    disallow: /X/\n";

const LONGEST_ALLOW_PAGE: &str = "user-agent: FooBot\n\
                                  allow: /x/page.html\n\
                                  disallow: /x/\n";
const LONGEST_X_AND_X_SLASH: &str = "user-agent: FooBot\n\
                                     disallow: /x\n\
                                     allow: /x/\n";
const LONGEST_PAGE_VS_HTML: &str = "user-agent: FooBot\n\
                                    allow: /page\n\
                                    disallow: /*.html\n";
const LONGEST_PAGE_DOT_VS_HTML: &str = "user-agent: FooBot\n\
                                        allow: /x/page.\n\
                                        disallow: /*.html\n";
const LONGEST_SPECIFIC_GROUP: &str = "User-agent: *\n\
                                      Disallow: /x/\n\
                                      User-agent: FooBot\n\
                                      Disallow: /y/\n";

// "ツ" is U+30C4, UTF-8 E3 83 84.
const ENCODING_UTF8: &str = "User-agent: FooBot\n\
                             Disallow: /\n\
                             Allow: /foo/bar/\u{30C4}\n";
const ENCODING_PERCENT_UTF8: &str = "User-agent: FooBot\n\
                                     Disallow: /\n\
                                     Allow: /foo/bar/%E3%83%84\n";
const ENCODING_PERCENT_ASCII: &str = "User-agent: FooBot\n\
                                      Disallow: /\n\
                                      Allow: /foo/bar/%62%61%7A\n";

const SPECIAL_STAR: &str = "User-agent: FooBot\n\
                            Disallow: /foo/bar/quz\n\
                            Allow: /foo/*/qux\n";
const SPECIAL_DOLLAR: &str = "User-agent: FooBot\n\
                              Disallow: /foo/bar$\n\
                              Allow: /foo/bar/qux\n";
const SPECIAL_HASH: &str = "User-agent: FooBot\n\
                            # Disallow: /\n\
                            Disallow: /foo/quz#qux\n\
                            Allow: /\n";

const INDEX_HTML: &str = "User-Agent: *\n\
                          Allow: /allowed-slash/index.html\n\
                          Disallow: /\n";

const DOC_FISH: &str = "user-agent: FooBot\n\
                        disallow: /\n\
                        allow: /fish\n";
const DOC_FISH_STAR: &str = "user-agent: FooBot\n\
                             disallow: /\n\
                             allow: /fish*\n";
const DOC_FISH_SLASH: &str = "user-agent: FooBot\n\
                              disallow: /\n\
                              allow: /fish/\n";
const DOC_STAR_PHP: &str = "user-agent: FooBot\n\
                            disallow: /\n\
                            allow: /*.php\n";
const DOC_STAR_PHP_DOLLAR: &str = "user-agent: FooBot\n\
                                   disallow: /\n\
                                   allow: /*.php$\n";
const DOC_FISH_STAR_PHP: &str = "user-agent: FooBot\n\
                                 disallow: /\n\
                                 allow: /fish*.php\n";
const DOC_ALLOW_ROOT_DOLLAR: &str = "user-agent: FooBot\n\
                                     allow: /$\n\
                                     disallow: /\n";

pub const CASES: &[Case] = &[
    // --- GoogleOnly_SystemTest ---
    // Google-specific: the suite labels this a Google-specific system test (empty inputs; an empty URL is disallowed).
    Case {
        name: "GoogleOnly_SystemTest/empty robots.txt [google-specific]",
        robots: "",
        agent: "FooBot",
        url: "",
        allowed: true,
    },
    // Google-specific: the suite labels this a Google-specific system test (empty inputs; an empty URL is disallowed).
    Case {
        name: "GoogleOnly_SystemTest/empty agent [google-specific]",
        robots: SYSTEM_TEST,
        agent: "",
        url: "",
        allowed: true,
    },
    // Google-specific: the suite labels this a Google-specific system test (empty inputs; an empty URL is disallowed).
    Case {
        name: "GoogleOnly_SystemTest/empty url [google-specific]",
        robots: SYSTEM_TEST,
        agent: "FooBot",
        url: "",
        allowed: false,
    },
    // Google-specific: the suite labels this a Google-specific system test (empty inputs; an empty URL is disallowed).
    Case {
        name: "GoogleOnly_SystemTest/all empty [google-specific]",
        robots: "",
        agent: "",
        url: "",
        allowed: true,
    },
    // --- ID_LineSyntax_Line ---
    Case {
        name: "ID_LineSyntax_Line/correct",
        robots: LINE_SYNTAX_CORRECT,
        agent: "FooBot",
        url: "http://foo.bar/x/y",
        allowed: false,
    },
    Case {
        name: "ID_LineSyntax_Line/unknown keys",
        robots: LINE_SYNTAX_INCORRECT,
        agent: "FooBot",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    // Google-specific: a line with the colon missing ("disallow /") is read as if it had one.
    Case {
        name: "ID_LineSyntax_Line/missing colon accepted [google-specific]",
        robots: LINE_SYNTAX_NO_COLON,
        agent: "FooBot",
        url: "http://foo.bar/x/y",
        allowed: false,
    },
    // --- ID_LineSyntax_Groups ---
    Case {
        name: "ID_LineSyntax_Groups/FooBot x",
        robots: GROUPS,
        agent: "FooBot",
        url: "http://foo.bar/x/b",
        allowed: true,
    },
    Case {
        name: "ID_LineSyntax_Groups/FooBot z",
        robots: GROUPS,
        agent: "FooBot",
        url: "http://foo.bar/z/d",
        allowed: true,
    },
    Case {
        name: "ID_LineSyntax_Groups/FooBot y",
        robots: GROUPS,
        agent: "FooBot",
        url: "http://foo.bar/y/c",
        allowed: false,
    },
    Case {
        name: "ID_LineSyntax_Groups/BarBot y",
        robots: GROUPS,
        agent: "BarBot",
        url: "http://foo.bar/y/c",
        allowed: true,
    },
    Case {
        name: "ID_LineSyntax_Groups/BarBot w",
        robots: GROUPS,
        agent: "BarBot",
        url: "http://foo.bar/w/a",
        allowed: true,
    },
    Case {
        name: "ID_LineSyntax_Groups/BarBot z",
        robots: GROUPS,
        agent: "BarBot",
        url: "http://foo.bar/z/d",
        allowed: false,
    },
    Case {
        name: "ID_LineSyntax_Groups/BazBot z",
        robots: GROUPS,
        agent: "BazBot",
        url: "http://foo.bar/z/d",
        allowed: true,
    },
    Case {
        name: "ID_LineSyntax_Groups/FooBot rule outside groups",
        robots: GROUPS,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/",
        allowed: false,
    },
    Case {
        name: "ID_LineSyntax_Groups/BarBot rule outside groups",
        robots: GROUPS,
        agent: "BarBot",
        url: "http://foo.bar/foo/bar/",
        allowed: false,
    },
    Case {
        name: "ID_LineSyntax_Groups/BazBot rule outside groups",
        robots: GROUPS,
        agent: "BazBot",
        url: "http://foo.bar/foo/bar/",
        allowed: false,
    },
    // --- ID_LineSyntax_Groups_OtherRules ---
    Case {
        name: "ID_LineSyntax_Groups_OtherRules/sitemap FooBot",
        robots: GROUPS_OTHER_SITEMAP,
        agent: "FooBot",
        url: "http://foo.bar/",
        allowed: false,
    },
    Case {
        name: "ID_LineSyntax_Groups_OtherRules/sitemap BarBot",
        robots: GROUPS_OTHER_SITEMAP,
        agent: "BarBot",
        url: "http://foo.bar/",
        allowed: false,
    },
    Case {
        name: "ID_LineSyntax_Groups_OtherRules/unknown line FooBot",
        robots: GROUPS_OTHER_UNKNOWN,
        agent: "FooBot",
        url: "http://foo.bar/",
        allowed: false,
    },
    Case {
        name: "ID_LineSyntax_Groups_OtherRules/unknown line BarBot",
        robots: GROUPS_OTHER_UNKNOWN,
        agent: "BarBot",
        url: "http://foo.bar/",
        allowed: false,
    },
    // --- ID_REPLineNamesCaseInsensitive ---
    Case {
        name: "ID_REPLineNamesCaseInsensitive/upper allowed",
        robots: LINE_NAMES_UPPER,
        agent: "FooBot",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_REPLineNamesCaseInsensitive/lower allowed",
        robots: LINE_NAMES_LOWER,
        agent: "FooBot",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_REPLineNamesCaseInsensitive/camel allowed",
        robots: LINE_NAMES_CAMEL,
        agent: "FooBot",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_REPLineNamesCaseInsensitive/upper disallowed",
        robots: LINE_NAMES_UPPER,
        agent: "FooBot",
        url: "http://foo.bar/a/b",
        allowed: false,
    },
    Case {
        name: "ID_REPLineNamesCaseInsensitive/lower disallowed",
        robots: LINE_NAMES_LOWER,
        agent: "FooBot",
        url: "http://foo.bar/a/b",
        allowed: false,
    },
    Case {
        name: "ID_REPLineNamesCaseInsensitive/camel disallowed",
        robots: LINE_NAMES_CAMEL,
        agent: "FooBot",
        url: "http://foo.bar/a/b",
        allowed: false,
    },
    // --- ID_UserAgentValueCaseInsensitive ---
    // Note: these `User-Agent` values contain a space ("FOO BAR"); they match
    // the agent "Foo" only by reading the value up to its first space (the
    // behaviour GoogleOnly_AcceptUserAgentUpToFirstSpace marks as
    // Google-specific), though this test's own comment does not say so.
    Case {
        name: "ID_UserAgentValueCaseInsensitive/Foo upper allowed",
        robots: AGENT_VALUE_UPPER,
        agent: "Foo",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/Foo lower allowed",
        robots: AGENT_VALUE_LOWER,
        agent: "Foo",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/Foo camel allowed",
        robots: AGENT_VALUE_CAMEL,
        agent: "Foo",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/Foo upper disallowed",
        robots: AGENT_VALUE_UPPER,
        agent: "Foo",
        url: "http://foo.bar/a/b",
        allowed: false,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/Foo lower disallowed",
        robots: AGENT_VALUE_LOWER,
        agent: "Foo",
        url: "http://foo.bar/a/b",
        allowed: false,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/Foo camel disallowed",
        robots: AGENT_VALUE_CAMEL,
        agent: "Foo",
        url: "http://foo.bar/a/b",
        allowed: false,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/foo upper allowed",
        robots: AGENT_VALUE_UPPER,
        agent: "foo",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/foo lower allowed",
        robots: AGENT_VALUE_LOWER,
        agent: "foo",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/foo camel allowed",
        robots: AGENT_VALUE_CAMEL,
        agent: "foo",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/foo upper disallowed",
        robots: AGENT_VALUE_UPPER,
        agent: "foo",
        url: "http://foo.bar/a/b",
        allowed: false,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/foo lower disallowed",
        robots: AGENT_VALUE_LOWER,
        agent: "foo",
        url: "http://foo.bar/a/b",
        allowed: false,
    },
    Case {
        name: "ID_UserAgentValueCaseInsensitive/foo camel disallowed",
        robots: AGENT_VALUE_CAMEL,
        agent: "foo",
        url: "http://foo.bar/a/b",
        allowed: false,
    },
    // --- GoogleOnly_AcceptUserAgentUpToFirstSpace ---
    // Google-specific: a `User-Agent` value with a space ("Foo Bar") is read up to its first space ("Foo").
    Case {
        name: "GoogleOnly_AcceptUserAgentUpToFirstSpace/Foo [google-specific]",
        robots: UP_TO_FIRST_SPACE,
        agent: "Foo",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    // Google-specific: a `User-Agent` value with a space ("Foo Bar") is read up to its first space ("Foo").
    Case {
        name: "GoogleOnly_AcceptUserAgentUpToFirstSpace/Foo Bar [google-specific]",
        robots: UP_TO_FIRST_SPACE,
        agent: "Foo Bar",
        url: "http://foo.bar/x/y",
        allowed: false,
    },
    // --- ID_GlobalGroups_Secondary ---
    Case {
        name: "ID_GlobalGroups_Secondary/empty",
        robots: "",
        agent: "FooBot",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_GlobalGroups_Secondary/global FooBot",
        robots: GLOBAL_GROUP,
        agent: "FooBot",
        url: "http://foo.bar/x/y",
        allowed: false,
    },
    Case {
        name: "ID_GlobalGroups_Secondary/global BarBot",
        robots: GLOBAL_GROUP,
        agent: "BarBot",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    Case {
        name: "ID_GlobalGroups_Secondary/only specific QuxBot",
        robots: ONLY_SPECIFIC_GROUPS,
        agent: "QuxBot",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    // --- ID_AllowDisallow_Value_CaseSensitive ---
    Case {
        name: "ID_AllowDisallow_Value_CaseSensitive/lowercase rule",
        robots: CASE_SENSITIVE_LOWER,
        agent: "FooBot",
        url: "http://foo.bar/x/y",
        allowed: false,
    },
    Case {
        name: "ID_AllowDisallow_Value_CaseSensitive/uppercase rule",
        robots: CASE_SENSITIVE_UPPER,
        agent: "FooBot",
        url: "http://foo.bar/x/y",
        allowed: true,
    },
    // --- ID_LongestMatch ---
    Case {
        name: "ID_LongestMatch/disallow page over allow dir",
        robots: "user-agent: FooBot\n\
                 disallow: /x/page.html\n\
                 allow: /x/\n",
        agent: "FooBot",
        url: "http://foo.bar/x/page.html",
        allowed: false,
    },
    Case {
        name: "ID_LongestMatch/allow page over disallow dir",
        robots: LONGEST_ALLOW_PAGE,
        agent: "FooBot",
        url: "http://foo.bar/x/page.html",
        allowed: true,
    },
    Case {
        name: "ID_LongestMatch/allow page, dir itself disallowed",
        robots: LONGEST_ALLOW_PAGE,
        agent: "FooBot",
        url: "http://foo.bar/x/",
        allowed: false,
    },
    Case {
        name: "ID_LongestMatch/empty allow and disallow",
        robots: "user-agent: FooBot\n\
                 disallow: \n\
                 allow: \n",
        agent: "FooBot",
        url: "http://foo.bar/x/page.html",
        allowed: true,
    },
    Case {
        name: "ID_LongestMatch/equal root allow wins",
        robots: "user-agent: FooBot\n\
                 disallow: /\n\
                 allow: /\n",
        agent: "FooBot",
        url: "http://foo.bar/x/page.html",
        allowed: true,
    },
    Case {
        name: "ID_LongestMatch/x disallowed",
        robots: LONGEST_X_AND_X_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/x",
        allowed: false,
    },
    Case {
        name: "ID_LongestMatch/x slash allowed",
        robots: LONGEST_X_AND_X_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/x/",
        allowed: true,
    },
    Case {
        name: "ID_LongestMatch/equal page allow wins",
        robots: "user-agent: FooBot\n\
                 disallow: /x/page.html\n\
                 allow: /x/page.html\n",
        agent: "FooBot",
        url: "http://foo.bar/x/page.html",
        allowed: true,
    },
    Case {
        name: "ID_LongestMatch/star html beats page",
        robots: LONGEST_PAGE_VS_HTML,
        agent: "FooBot",
        url: "http://foo.bar/page.html",
        allowed: false,
    },
    Case {
        name: "ID_LongestMatch/page allowed",
        robots: LONGEST_PAGE_VS_HTML,
        agent: "FooBot",
        url: "http://foo.bar/page",
        allowed: true,
    },
    Case {
        name: "ID_LongestMatch/page dot beats star html",
        robots: LONGEST_PAGE_DOT_VS_HTML,
        agent: "FooBot",
        url: "http://foo.bar/x/page.html",
        allowed: true,
    },
    Case {
        name: "ID_LongestMatch/other html disallowed",
        robots: LONGEST_PAGE_DOT_VS_HTML,
        agent: "FooBot",
        url: "http://foo.bar/x/y.html",
        allowed: false,
    },
    Case {
        name: "ID_LongestMatch/specific group, x allowed",
        robots: LONGEST_SPECIFIC_GROUP,
        agent: "FooBot",
        url: "http://foo.bar/x/page",
        allowed: true,
    },
    Case {
        name: "ID_LongestMatch/specific group, y disallowed",
        robots: LONGEST_SPECIFIC_GROUP,
        agent: "FooBot",
        url: "http://foo.bar/y/page",
        allowed: false,
    },
    // --- ID_Encoding ---
    Case {
        name: "ID_Encoding/query with url stays unencoded",
        robots: "User-agent: FooBot\n\
                 Disallow: /\n\
                 Allow: /foo/bar?qux=taz&baz=http://foo.bar?tar&par\n",
        agent: "FooBot",
        url: "http://foo.bar/foo/bar?qux=taz&baz=http://foo.bar?tar&par",
        allowed: true,
    },
    Case {
        name: "ID_Encoding/utf8 rule, encoded url",
        robots: ENCODING_UTF8,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/%E3%83%84",
        allowed: true,
    },
    Case {
        name: "ID_Encoding/utf8 rule, raw utf8 url",
        robots: ENCODING_UTF8,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/\u{30C4}",
        allowed: false,
    },
    Case {
        name: "ID_Encoding/encoded rule, encoded url",
        robots: ENCODING_PERCENT_UTF8,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/%E3%83%84",
        allowed: true,
    },
    Case {
        name: "ID_Encoding/encoded rule, raw utf8 url",
        robots: ENCODING_PERCENT_UTF8,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/\u{30C4}",
        allowed: false,
    },
    Case {
        name: "ID_Encoding/encoded unreserved rule, plain url",
        robots: ENCODING_PERCENT_ASCII,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/baz",
        allowed: false,
    },
    Case {
        name: "ID_Encoding/encoded unreserved rule, same encoded url",
        robots: ENCODING_PERCENT_ASCII,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/%62%61%7A",
        allowed: true,
    },
    // --- ID_SpecialCharacters ---
    Case {
        name: "ID_SpecialCharacters/star, disallowed quz",
        robots: SPECIAL_STAR,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/quz",
        allowed: false,
    },
    Case {
        name: "ID_SpecialCharacters/star, foo quz",
        robots: SPECIAL_STAR,
        agent: "FooBot",
        url: "http://foo.bar/foo/quz",
        allowed: true,
    },
    Case {
        name: "ID_SpecialCharacters/star, double slash",
        robots: SPECIAL_STAR,
        agent: "FooBot",
        url: "http://foo.bar/foo//quz",
        allowed: true,
    },
    Case {
        name: "ID_SpecialCharacters/star, bax quz",
        robots: SPECIAL_STAR,
        agent: "FooBot",
        url: "http://foo.bar/foo/bax/quz",
        allowed: true,
    },
    Case {
        name: "ID_SpecialCharacters/dollar, exact",
        robots: SPECIAL_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar",
        allowed: false,
    },
    Case {
        name: "ID_SpecialCharacters/dollar, qux",
        robots: SPECIAL_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/qux",
        allowed: true,
    },
    Case {
        name: "ID_SpecialCharacters/dollar, trailing slash",
        robots: SPECIAL_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/",
        allowed: true,
    },
    Case {
        name: "ID_SpecialCharacters/dollar, baz",
        robots: SPECIAL_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar/baz",
        allowed: true,
    },
    Case {
        name: "ID_SpecialCharacters/hash, bar",
        robots: SPECIAL_HASH,
        agent: "FooBot",
        url: "http://foo.bar/foo/bar",
        allowed: true,
    },
    Case {
        name: "ID_SpecialCharacters/hash, quz",
        robots: SPECIAL_HASH,
        agent: "FooBot",
        url: "http://foo.bar/foo/quz",
        allowed: false,
    },
    // --- GoogleOnly_IndexHTMLisDirectory ---
    // Google-specific: "index.html" (only that) at the end of a pattern also matches the directory ("/").
    Case {
        name: "GoogleOnly_IndexHTMLisDirectory/directory [google-specific]",
        robots: INDEX_HTML,
        agent: "foobot",
        url: "http://foo.com/allowed-slash/",
        allowed: true,
    },
    // Google-specific: "index.html" (only that) at the end of a pattern also matches the directory ("/").
    Case {
        name: "GoogleOnly_IndexHTMLisDirectory/index.htm [google-specific]",
        robots: INDEX_HTML,
        agent: "foobot",
        url: "http://foo.com/allowed-slash/index.htm",
        allowed: false,
    },
    // Google-specific: "index.html" (only that) at the end of a pattern also matches the directory ("/").
    Case {
        name: "GoogleOnly_IndexHTMLisDirectory/index.html [google-specific]",
        robots: INDEX_HTML,
        agent: "foobot",
        url: "http://foo.com/allowed-slash/index.html",
        allowed: true,
    },
    // Google-specific: "index.html" (only that) at the end of a pattern also matches the directory ("/").
    Case {
        name: "GoogleOnly_IndexHTMLisDirectory/other url [google-specific]",
        robots: INDEX_HTML,
        agent: "foobot",
        url: "http://foo.com/anyother-url",
        allowed: false,
    },
    // --- GoogleOnly_LineTooLong: in `generated_cases()` below. ---
    //
    // --- GoogleOnly_DocumentationChecks ---
    // Examples from Google's robots.txt documentation. The test's name starts
    // with "GoogleOnly_", but its comment does not call the behaviour
    // Google-specific and the expectations agree with RFC 9309's longest
    // match, so these cases are not marked.
    //
    // allow: /fish
    Case {
        name: "GoogleOnly_DocumentationChecks/fish: bar",
        robots: DOC_FISH,
        agent: "FooBot",
        url: "http://foo.bar/bar",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish: fish",
        robots: DOC_FISH,
        agent: "FooBot",
        url: "http://foo.bar/fish",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish: fish.html",
        robots: DOC_FISH,
        agent: "FooBot",
        url: "http://foo.bar/fish.html",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish: fish/salmon.html",
        robots: DOC_FISH,
        agent: "FooBot",
        url: "http://foo.bar/fish/salmon.html",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish: fishheads",
        robots: DOC_FISH,
        agent: "FooBot",
        url: "http://foo.bar/fishheads",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish: fishheads/yummy.html",
        robots: DOC_FISH,
        agent: "FooBot",
        url: "http://foo.bar/fishheads/yummy.html",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish: fish.html?id=anything",
        robots: DOC_FISH,
        agent: "FooBot",
        url: "http://foo.bar/fish.html?id=anything",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish: Fish.asp",
        robots: DOC_FISH,
        agent: "FooBot",
        url: "http://foo.bar/Fish.asp",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish: catfish",
        robots: DOC_FISH,
        agent: "FooBot",
        url: "http://foo.bar/catfish",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish: ?id=fish",
        robots: DOC_FISH,
        agent: "FooBot",
        url: "http://foo.bar/?id=fish",
        allowed: false,
    },
    // allow: /fish*
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*: bar",
        robots: DOC_FISH_STAR,
        agent: "FooBot",
        url: "http://foo.bar/bar",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*: fish",
        robots: DOC_FISH_STAR,
        agent: "FooBot",
        url: "http://foo.bar/fish",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*: fish.html",
        robots: DOC_FISH_STAR,
        agent: "FooBot",
        url: "http://foo.bar/fish.html",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*: fish/salmon.html",
        robots: DOC_FISH_STAR,
        agent: "FooBot",
        url: "http://foo.bar/fish/salmon.html",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*: fishheads",
        robots: DOC_FISH_STAR,
        agent: "FooBot",
        url: "http://foo.bar/fishheads",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*: fishheads/yummy.html",
        robots: DOC_FISH_STAR,
        agent: "FooBot",
        url: "http://foo.bar/fishheads/yummy.html",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*: fish.html?id=anything",
        robots: DOC_FISH_STAR,
        agent: "FooBot",
        url: "http://foo.bar/fish.html?id=anything",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*: Fish.bar",
        robots: DOC_FISH_STAR,
        agent: "FooBot",
        url: "http://foo.bar/Fish.bar",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*: catfish",
        robots: DOC_FISH_STAR,
        agent: "FooBot",
        url: "http://foo.bar/catfish",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*: ?id=fish",
        robots: DOC_FISH_STAR,
        agent: "FooBot",
        url: "http://foo.bar/?id=fish",
        allowed: false,
    },
    // allow: /fish/
    Case {
        name: "GoogleOnly_DocumentationChecks/fish/: bar",
        robots: DOC_FISH_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/bar",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish/: fish/",
        robots: DOC_FISH_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/fish/",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish/: fish/salmon",
        robots: DOC_FISH_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/fish/salmon",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish/: fish/?salmon",
        robots: DOC_FISH_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/fish/?salmon",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish/: fish/salmon.html",
        robots: DOC_FISH_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/fish/salmon.html",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish/: fish/?id=anything",
        robots: DOC_FISH_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/fish/?id=anything",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish/: fish",
        robots: DOC_FISH_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/fish",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish/: fish.html",
        robots: DOC_FISH_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/fish.html",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish/: Fish/Salmon.html",
        robots: DOC_FISH_SLASH,
        agent: "FooBot",
        url: "http://foo.bar/Fish/Salmon.html",
        allowed: false,
    },
    // allow: /*.php
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php: bar",
        robots: DOC_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/bar",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php: filename.php",
        robots: DOC_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/filename.php",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php: folder/filename.php",
        robots: DOC_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/folder/filename.php",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php: folder/filename.php?parameters",
        robots: DOC_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/folder/filename.php?parameters",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php: //folder/any.php.file.html",
        robots: DOC_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar//folder/any.php.file.html",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php: filename.php/",
        robots: DOC_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/filename.php/",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php: index?f=filename.php/",
        robots: DOC_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/index?f=filename.php/",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php: php/",
        robots: DOC_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/php/",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php: index?php",
        robots: DOC_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/index?php",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php: windows.PHP",
        robots: DOC_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/windows.PHP",
        allowed: false,
    },
    // allow: /*.php$
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php$: bar",
        robots: DOC_STAR_PHP_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/bar",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php$: filename.php",
        robots: DOC_STAR_PHP_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/filename.php",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php$: folder/filename.php",
        robots: DOC_STAR_PHP_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/folder/filename.php",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php$: filename.php?parameters",
        robots: DOC_STAR_PHP_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/filename.php?parameters",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php$: filename.php/",
        robots: DOC_STAR_PHP_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/filename.php/",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php$: filename.php5",
        robots: DOC_STAR_PHP_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/filename.php5",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php$: php/",
        robots: DOC_STAR_PHP_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/php/",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php$: filename?php",
        robots: DOC_STAR_PHP_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/filename?php",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php$: aaaphpaaa",
        robots: DOC_STAR_PHP_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar/aaaphpaaa",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/*.php$: //windows.PHP",
        robots: DOC_STAR_PHP_DOLLAR,
        agent: "FooBot",
        url: "http://foo.bar//windows.PHP",
        allowed: false,
    },
    // allow: /fish*.php
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*.php: bar",
        robots: DOC_FISH_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/bar",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*.php: fish.php",
        robots: DOC_FISH_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/fish.php",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*.php: fishheads/catfish.php?parameters",
        robots: DOC_FISH_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/fishheads/catfish.php?parameters",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/fish*.php: Fish.PHP",
        robots: DOC_FISH_STAR_PHP,
        agent: "FooBot",
        url: "http://foo.bar/Fish.PHP",
        allowed: false,
    },
    // Order of precedence for group-member records.
    Case {
        name: "GoogleOnly_DocumentationChecks/precedence: allow /p beats disallow /",
        robots: "user-agent: FooBot\n\
                 allow: /p\n\
                 disallow: /\n",
        agent: "FooBot",
        url: "http://example.com/page",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/precedence: equal folder rules, allow wins",
        robots: "user-agent: FooBot\n\
                 allow: /folder\n\
                 disallow: /folder\n",
        agent: "FooBot",
        url: "http://example.com/folder/page",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/precedence: disallow /*.htm beats allow /page",
        robots: "user-agent: FooBot\n\
                 allow: /page\n\
                 disallow: /*.htm\n",
        agent: "FooBot",
        url: "http://example.com/page.htm",
        allowed: false,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/precedence: allow /$, root",
        robots: DOC_ALLOW_ROOT_DOLLAR,
        agent: "FooBot",
        url: "http://example.com/",
        allowed: true,
    },
    Case {
        name: "GoogleOnly_DocumentationChecks/precedence: allow /$, page",
        robots: DOC_ALLOW_ROOT_DOLLAR,
        agent: "FooBot",
        url: "http://example.com/page.html",
        allowed: false,
    },
];

/// Length past which the reference parser ignores the rest of a line
/// (2083 * 8 bytes), as `GoogleOnly_LineTooLong` uses it.
const MAX_LINE_LEN: usize = 2083 * 8;

/// The `GoogleOnly_LineTooLong` cases, whose robots.txt bodies have lines
/// longer than the reference parser's limit: (name, robots, agent, url,
/// allowed), in file order.
///
/// The original builds, with the limit L = 16664 (2083 * 8) and a line
/// ending of 1 byte:
/// - body 1: `"user-agent: FooBot\n"`, then `"disallow: "` + P + `"/qux\n"`,
///   where P is `"/x/"` padded with `'a'` to L - 3 - 10 + 1 = 16652 bytes
///   (so `"disallow: " + P` is L + 1 bytes long and the line is cut inside
///   the `a`s, before `/qux`);
/// - body 2: `"user-agent: FooBot\ndisallow: /\n"`, then `"allow: "` + A +
///   `"/qux\n"` and `"allow: "` + B + `"/qux\n"`, where A and B are `"/x/"`
///   padded with `'a'` (A) or `'b'` (B) to L - 3 - 7 + 1 = 16655 bytes.
pub fn generated_cases() -> Vec<(String, String, &'static str, String, bool)> {
    let long_disallow = format!("/x/{}", "a".repeat(MAX_LINE_LEN - 3 - 10 + 1 - 3));
    let body_1 = format!("user-agent: FooBot\ndisallow: {long_disallow}/qux\n");

    let long_a = format!("/x/{}", "a".repeat(MAX_LINE_LEN - 3 - 7 + 1 - 3));
    let long_b = format!("/x/{}", "b".repeat(MAX_LINE_LEN - 3 - 7 + 1 - 3));
    let body_2 =
        format!("user-agent: FooBot\ndisallow: /\nallow: {long_a}/qux\nallow: {long_b}/qux\n");

    // Google-specific: lines are cut off after 2083 * 8 bytes (the rest of the line is ignored).
    vec![
        (
            "GoogleOnly_LineTooLong/cut disallow, other url [google-specific]".to_string(),
            body_1.clone(),
            "FooBot",
            "http://foo.bar/fux".to_string(),
            true,
        ),
        (
            "GoogleOnly_LineTooLong/cut disallow matches [google-specific]".to_string(),
            body_1,
            "FooBot",
            format!("http://foo.bar{long_disallow}/fux"),
            false,
        ),
        (
            "GoogleOnly_LineTooLong/root disallowed [google-specific]".to_string(),
            body_2.clone(),
            "FooBot",
            "http://foo.bar/".to_string(),
            false,
        ),
        (
            "GoogleOnly_LineTooLong/allow matched exactly [google-specific]".to_string(),
            body_2.clone(),
            "FooBot",
            format!("http://foo.bar{long_a}/qux"),
            true,
        ),
        (
            "GoogleOnly_LineTooLong/cut allow matches [google-specific]".to_string(),
            body_2,
            "FooBot",
            format!("http://foo.bar{long_b}/fux"),
            true,
        ),
    ]
}

/// `GetPathParamsQuery(url)` → expected path.
pub const PATH_PARAMS_QUERY: &[(&str, &str)] = &[
    ("", "/"),
    ("http://www.example.com", "/"),
    ("http://www.example.com/", "/"),
    ("http://www.example.com/a", "/a"),
    ("http://www.example.com/a/", "/a/"),
    (
        "http://www.example.com/a/b?c=http://d.e/",
        "/a/b?c=http://d.e/",
    ),
    (
        "http://www.example.com/a/b?c=d&e=f#fragment",
        "/a/b?c=d&e=f",
    ),
    ("example.com", "/"),
    ("example.com/", "/"),
    ("example.com/a", "/a"),
    ("example.com/a/", "/a/"),
    ("example.com/a/b?c=d&e=f#fragment", "/a/b?c=d&e=f"),
    ("a", "/"),
    ("a/", "/"),
    ("/a", "/a"),
    ("a/b", "/b"),
    ("example.com?a", "/?a"),
    ("example.com/a;b#c", "/a;b"),
    ("//a/b/c", "/b/c"),
];

/// `MaybeEscapePattern(input)` → expected escaped pattern.
pub const ESCAPE_PATTERN: &[(&str, &str)] = &[
    ("http://www.example.com", "http://www.example.com"),
    ("/a/b/c", "/a/b/c"),
    // "á" is U+00E1 (precomposed), UTF-8 C3 A1.
    ("\u{E1}", "%C3%A1"),
    ("%aa", "%AA"),
];

/// `IsValidUserAgentToMatch(agent)` → expected bool.
///
/// The function the suite calls is `RobotsMatcher::IsValidUserAgentToObey`
/// (valid: non-empty, only `[a-zA-Z_-]`).
pub const VALID_USER_AGENT: &[(&str, bool)] = &[
    // ID_VerifyValidUserAgentsToObey
    ("Foobot", true),
    ("Foobot-Bar", true),
    ("Foo_Bar", true),
    // The original passes a default-constructed (null) string_view here.
    ("", false),
    ("", false),
    // "ツ" (U+30C4)
    ("\u{30C4}", false),
    ("Foobot*", false),
    (" Foobot ", false),
    ("Foobot/2.1", false),
    ("Foobot Bar", false),
    // GoogleOnly_AcceptUserAgentUpToFirstSpace (repeats the one above)
    ("Foobot Bar", false),
];

// Not transcribed here: reporting tests (ported as counts of lines read in
// robots/parse.rs and as `sitemap_lines_are_kept` in robots/mod.rs). They check what the parser reports
// (directive counts, line numbers, sitemap values) through a
// `RobotsParseHandler` (`RobotsStatsReporter`), not allow/disallow results:
// - ID_LinesNumbersAreCountedCorrectly
// - ID_UTF8ByteOrderMarkIsSkipped
// - ID_NonStandardLineExample_Sitemap
