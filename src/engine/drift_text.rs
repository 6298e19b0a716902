//! How a difference reads as text: the place, each field with both values,
//! both sides of a line that is not JSON, each labelled, long values cut
//! with a visible marker, and, in a terminal, the committed side in red and
//! the regenerated side in green. What differs is decided in `compare.rs`.

use serde_json::Value;

use crate::engine::compare::{Difference, DifferenceKind};

/// Fields printed per difference (the JSON report keeps them all).
const MAX_FIELDS_SHOWN: usize = 20;
/// Characters of a value or line printed before it is cut.
const MAX_CHARS_SHOWN: usize = 200;

/// Whether to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub colour: bool,
}

impl Style {
    pub const PLAIN: Style = Style { colour: false };

    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn for_stdout() -> Style {
        use std::io::IsTerminal;
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            colour: !no_colour && std::io::stdout().is_terminal(),
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn committed(self, text: &str) -> String {
        self.paint("31", text)
    }

    fn regenerated(self, text: &str) -> String {
        self.paint("32", text)
    }
}

/// `text` cut at [`MAX_CHARS_SHOWN`] characters, saying how much was cut.
fn shorten(text: &str) -> String {
    let total = text.chars().count();
    if total <= MAX_CHARS_SHOWN {
        return text.to_string();
    }
    let kept: String = text.chars().take(MAX_CHARS_SHOWN).collect();
    format!("{kept}… [cut: {} more characters]", total - MAX_CHARS_SHOWN)
}

/// `  line 4 (item/started)`, then the fields or lines that differ.
pub fn render(d: &Difference, style: Style) -> String {
    let mut out = String::new();
    let place = match (d.line, &d.event) {
        (Some(l), Some(e)) => format!("line {l} ({e})"),
        (Some(l), None) => format!("line {l}"),
        (None, _) => "document".to_string(),
    };
    let kind = match d.kind {
        DifferenceKind::Changed => "",
        DifferenceKind::Missing => " only in the regenerated file",
        DifferenceKind::Extra => " only in the committed file",
    };
    out.push_str(&format!("  {place}{kind}\n"));
    let show = |v: &Option<Value>| {
        v.as_ref()
            .map_or("(absent)".to_string(), |v| shorten(&v.to_string()))
    };
    for c in d.fields.iter().take(MAX_FIELDS_SHOWN) {
        let path = if c.path.is_empty() {
            "(the whole value)"
        } else {
            &c.path
        };
        out.push_str(&format!("    {path}\n"));
        out.push_str(&format!(
            "      committed:   {}\n",
            style.committed(&show(&c.committed))
        ));
        out.push_str(&format!(
            "      regenerated: {}\n",
            style.regenerated(&show(&c.regenerated))
        ));
    }
    if d.fields.len() > MAX_FIELDS_SHOWN {
        out.push_str(&format!(
            "    … and {} more field(s)\n",
            d.fields.len() - MAX_FIELDS_SHOWN
        ));
    }
    if let Some(note) = &d.note {
        out.push_str(&format!("    {note}\n"));
    }
    if let Some(t) = &d.committed_text {
        out.push_str(&format!(
            "    committed:   {}\n",
            style.committed(&shorten(t))
        ));
    }
    if let Some(t) = &d.regenerated_text {
        out.push_str(&format!(
            "    regenerated: {}\n",
            style.regenerated(&shorten(t))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compare::{EventKey, compare};
    use crate::engine::tree::Tree;

    fn first(committed: &str, regenerated: &str) -> Difference {
        let t = |s: &str| Tree::from([("SHA256SUMS".to_string(), s.as_bytes().to_vec())]);
        compare(&t(regenerated), &t(committed), |_| EventKey::default()).changed[0].differences[0]
            .clone()
    }

    #[test]
    fn a_text_line_shows_both_sides_labelled() {
        let text = render(&first("aaa  x\n", "bbb  x\n"), Style::PLAIN);
        assert_eq!(
            text,
            "  line 1\n    committed:   aaa  x\n    regenerated: bbb  x\n"
        );
    }

    #[test]
    fn a_long_line_is_cut_with_a_marker_and_colour_is_optional() {
        let long = "y".repeat(250);
        let d = first(&format!("{long}\n"), "short\n");
        let plain = render(&d, Style::PLAIN);
        assert!(plain.contains("… [cut: 50 more characters]"), "{plain}");
        let coloured = render(&d, Style { colour: true });
        assert!(coloured.contains("\x1b[31m") && coloured.contains("\x1b[32mshort\x1b[0m"));
        assert!(!plain.contains('\x1b'));
    }

    #[test]
    fn fields_past_the_limit_are_counted_not_shown() {
        let object = |v: usize| {
            let fields: Vec<String> = (0..25).map(|i| format!("\"f{i:02}\": {v}")).collect();
            format!("{{{}}}\n", fields.join(", "))
        };
        let text = render(&first(&object(1), &object(2)), Style::PLAIN);
        assert!(text.contains("    f19\n"), "{text}");
        assert!(!text.contains("    f20\n"), "{text}");
        assert!(text.ends_with("    … and 5 more field(s)\n"), "{text}");
    }
}
