//! Parsing of the value syntaxes shared by flags and the config file:
//! durations (`90s`, `30m`, or bare seconds), byte sizes (`10MiB`, `512k`),
//! rates, and `NAME=CSS[@attr]` field selectors.
//!
//! Every parser returns `Err(String)` that names what was expected and quotes
//! the value it got; callers prefix the flag or key name. Nothing here touches
//! I/O.

use std::time::Duration;

/// Parses `90s`, `30m`, `1h 30m`, `250ms` (humantime) or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(Duration::from_secs_f64(secs));
        }
        return Err(format!(
            "expected a duration ≥ 0 such as 90s or 30m, got {s:?}"
        ));
    }
    humantime::parse_duration(t)
        .map_err(|_| format!("expected a duration such as 90s, 500ms or 30m, got {s:?}"))
}

/// Parses a byte size: `1048576`, `512k`, `10MiB`, `10MB`, `1.5GiB`.
/// Decimal (`kB`, `MB`) and binary (`KiB`, `MiB`) units are both accepted;
/// a single letter (`k`, `m`, `g`) means the binary unit, as in curl and wget.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("expected a size such as 10MiB, 512k or 1048576, got {s:?}");
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().map_err(|_| bad())?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "kb" => 1_000,
        "m" | "mib" => 1 << 20,
        "mb" => 1_000_000,
        "g" | "gib" => 1 << 30,
        "gb" => 1_000_000_000,
        _ => return Err(bad()),
    };
    let bytes = num * mult as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// Parses a per-host request rate in requests per second; 0 means unlimited.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.0 => Ok(r),
        _ => Err(format!(
            "expected a number ≥ 0 (requests per second), got {s:?}"
        )),
    }
}

/// A `--select NAME=CSS[@attr]` specification, before the CSS is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectSpec {
    pub name: String,
    pub css: String,
    /// Attribute to read instead of the element's text.
    pub attr: Option<String>,
}

/// Parses `NAME=CSS[@attr]`. The attribute is the part after the last `@`
/// when that part is a plain attribute name (CSS selectors do not use `@`).
pub fn parse_select(s: &str) -> Result<SelectSpec, String> {
    let (name, rest) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=CSS or NAME=CSS@attr, got {s:?}"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("the field name before '=' is empty in {s:?}"));
    }
    let (css, attr) = match rest.rsplit_once('@') {
        Some((css, attr))
            if !attr.is_empty()
                && attr
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':')) =>
        {
            (css, Some(attr.to_string()))
        }
        _ => (rest, None),
    };
    let css = css.trim();
    if css.is_empty() {
        return Err(format!("the CSS selector after '=' is empty in {s:?}"));
    }
    Ok(SelectSpec {
        name: name.to_string(),
        css: css.to_string(),
        attr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases = [
            ("90s", Some(90_000)),
            ("30m", Some(1_800_000)),
            ("250ms", Some(250)),
            ("1h 30m", Some(5_400_000)),
            ("2", Some(2_000)),
            ("0.5", Some(500)),
            ("fast", None),
            ("-1", None),
            ("", None),
        ];
        for (input, want) in cases {
            let got = parse_duration(input).ok().map(|d| d.as_millis() as u64);
            assert_eq!(got, want, "parse_duration({input:?})");
        }
    }

    #[test]
    fn sizes() {
        let cases = [
            ("1048576", Some(1_048_576)),
            ("10MiB", Some(10 << 20)),
            ("10MB", Some(10_000_000)),
            ("512k", Some(512 << 10)),
            ("1.5GiB", Some(3 << 29)),
            ("7 KiB", Some(7 << 10)),
            ("big", None),
            ("10XB", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_size(input).ok(), want, "parse_size({input:?})");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("2.5"), Ok(2.5));
        assert_eq!(parse_rate("0"), Ok(0.0));
        let err = parse_rate("fast").unwrap_err();
        assert!(err.contains("\"fast\""), "{err}");
        assert!(parse_rate("-3").is_err());
        assert!(parse_rate("NaN").is_err());
    }

    #[test]
    fn selects() {
        let s = parse_select("price=span.price").unwrap();
        assert_eq!(
            (s.name.as_str(), s.css.as_str(), s.attr),
            ("price", "span.price", None)
        );
        let s = parse_select("img=img.photo@src").unwrap();
        assert_eq!(s.attr.as_deref(), Some("src"));
        assert_eq!(s.css, "img.photo");
        let s = parse_select("lang=html@xml:lang").unwrap();
        assert_eq!(s.attr.as_deref(), Some("xml:lang"));
        // An '=' inside the selector belongs to the selector.
        let s = parse_select("x=a[href='q=1']").unwrap();
        assert_eq!(s.css, "a[href='q=1']");
        assert!(parse_select("novalue").is_err());
        assert!(parse_select("=p").is_err());
        assert!(parse_select("x=").is_err());
        assert!(parse_select("x=@href").is_err());
    }
}
