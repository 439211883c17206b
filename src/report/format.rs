//! Text helpers of the report: HTML escaping, numbers, durations and the
//! file-name-safe slugs of experiment ids.

/// Escapes text for HTML element content and for attribute values (quoted
/// with either `"` or `'`).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Formats a number with 4 significant digits, without trailing zeros.
///
/// Values from 10^4 up to 10^9 keep all their integer digits (a count of
/// 60000 stays `60000`, 12345.6 becomes `12346`); values below 10^-4 or from
/// 10^9 on use scientific notation (`1.235e-5`, `3.2e10`).
pub fn format_number(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "∞" } else { "−∞" }.to_string();
    }
    if value == 0.0 {
        return "0".to_string();
    }
    let abs = value.abs();
    if !(1e-4..1e9).contains(&abs) {
        return scientific(value);
    }
    if abs >= 1e4 {
        return format!("{value:.0}");
    }
    let magnitude = abs.log10().floor() as i32;
    let decimals = (3 - magnitude).max(0) as usize;
    trim_zeros(format!("{value:.decimals$}"))
}

fn scientific(value: f64) -> String {
    let text = format!("{value:.3e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => format!("{}e{exponent}", trim_zeros(mantissa.to_string())),
        None => text,
    }
}

fn trim_zeros(text: String) -> String {
    if !text.contains('.') {
        return text;
    }
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// A value with its unit as a reader expects it: `92.1%`, `12.5 ms`, `60000`
/// (unit `count` and the empty unit are left out).
pub fn format_value(value: f64, unit: &str) -> String {
    let number = format_number(value);
    match unit.trim() {
        "" | "count" => number,
        "%" => format!("{number}%"),
        unit => format!("{number} {unit}"),
    }
}

/// A duration in seconds: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 07 min`.
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return format_value(seconds, "s");
    }
    if seconds < 1.0 {
        return format_value(seconds * 1000.0, "ms");
    }
    if seconds < 120.0 {
        return format_value(seconds, "s");
    }
    let total = seconds.round() as u64;
    if total < 7200 {
        return format!("{} min {:02} s", total / 60, total % 60);
    }
    let minutes = (seconds / 60.0).round() as u64;
    format!("{} h {:02} min", minutes / 60, minutes % 60)
}

/// A lower-case name made of `[a-z0-9_-]` only, for file names and HTML ids.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "x".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The first line of a (possibly multi-line) message.
pub fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("plain µs ±"), "plain µs ±");
        assert_eq!(escape_html(""), "");
        // Escaping twice escapes the ampersands of the first pass.
        assert_eq!(escape_html("&lt;"), "&amp;lt;");
    }

    #[test]
    fn four_significant_digits() {
        assert_eq!(format_number(92.1), "92.1");
        assert_eq!(format_number(92.123456), "92.12");
        assert_eq!(format_number(1.0), "1");
        assert_eq!(format_number(0.5), "0.5");
        assert_eq!(format_number(0.012345), "0.01235");
        assert_eq!(format_number(1234.56), "1235");
        assert_eq!(format_number(999.96), "1000");
        assert_eq!(format_number(9.99996), "10");
        assert_eq!(format_number(-3.45678), "-3.457");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(-0.00001), "-1e-5");
        assert_eq!(format_number(60000.0), "60000");
        assert_eq!(format_number(12345.6), "12346");
        assert_eq!(format_number(0.0000123456), "1.235e-5");
        assert_eq!(format_number(3.2e10), "3.2e10");
        assert_eq!(format_number(f64::NAN), "NaN");
        assert_eq!(format_number(f64::INFINITY), "∞");
        assert_eq!(format_number(f64::NEG_INFINITY), "−∞");
    }

    #[test]
    fn values_with_units() {
        assert_eq!(format_value(92.1, "%"), "92.1%");
        assert_eq!(format_value(12.5, "ms"), "12.5 ms");
        assert_eq!(format_value(60000.0, "count"), "60000");
        assert_eq!(format_value(3.0, ""), "3");
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(0.25), "250 ms");
        assert_eq!(format_duration(12.34), "12.34 s");
        assert_eq!(format_duration(245.0), "4 min 05 s");
        assert_eq!(format_duration(7620.0), "2 h 07 min");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("MU18-train"), "mu18-train");
        assert_eq!(slug("cs21 / table 2"), "cs21-table-2");
        assert_eq!(slug("../etc"), "etc");
        assert_eq!(slug("<>"), "x");
        assert_eq!(slug("a_b.c"), "a_b-c");
    }
}
