//! Finds the line and column of a field in a block-style YAML document, so
//! that validation errors (which serde knows nothing about) can point at it.
//!
//! Paths are dotted with list indices, e.g. `claims[1].tolerance.band`. The
//! search follows indentation; it is exact for the block style specs use and
//! falls back to the closest parent it found for anything else.

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn parse_path(path: &str) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            steps.push(Step::Key(key));
        }
        while let Some(end) = rest.find(']') {
            if let Ok(i) = rest[1..end].parse() {
                steps.push(Step::Index(i));
            }
            rest = &rest[end + 1..];
        }
    }
    steps
}

/// Indentation of the content of a line, counting a leading `- ` as indent.
fn content_start(line: &str) -> (usize, bool) {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[spaces..];
    if rest == "-" || rest.starts_with("- ") {
        let after = rest[1..].len() - rest[1..].trim_start_matches(' ').len();
        (spaces + 1 + after, true)
    } else {
        (spaces, false)
    }
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// 1-based line and column of the field at `path`, or of its closest
/// ancestor that exists; `None` when not even the first key is found.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let steps = parse_path(path);
    // The block being searched: lines [start, end) whose content is indented
    // more than `parent_indent`.
    let (mut start, mut end) = (0usize, lines.len());
    let mut parent_indent: Option<usize> = None;
    let mut found: Option<(usize, usize)> = None;
    for step in steps {
        let mut hit = None;
        match step {
            Step::Key(key) => {
                let mut block_indent: Option<usize> = None;
                for (i, line) in lines.iter().enumerate().take(end).skip(start) {
                    if is_blank_or_comment(line) {
                        continue;
                    }
                    let (col, _) = content_start(line);
                    if parent_indent.is_some_and(|p| col <= p) {
                        continue;
                    }
                    let indent = *block_indent.get_or_insert(col);
                    if col != indent {
                        continue;
                    }
                    let content = &line[col..];
                    if let Some(rest) = content.strip_prefix(key)
                        && (rest.starts_with(':'))
                    {
                        hit = Some((i, col));
                        break;
                    }
                }
            }
            Step::Index(n) => {
                let mut count = 0;
                let mut item_indent: Option<usize> = None;
                for (i, line) in lines.iter().enumerate().take(end).skip(start) {
                    if is_blank_or_comment(line) {
                        continue;
                    }
                    let spaces = line.len() - line.trim_start_matches(' ').len();
                    let is_item = line[spaces..].starts_with('-');
                    if !is_item || parent_indent.is_some_and(|p| spaces < p) {
                        continue;
                    }
                    let indent = *item_indent.get_or_insert(spaces);
                    if spaces != indent {
                        continue;
                    }
                    if count == n {
                        hit = Some((i, content_start(line).0));
                        break;
                    }
                    count += 1;
                }
            }
        }
        let Some((i, col)) = hit else { break };
        found = Some((i + 1, col + 1));
        // The block of this node: following lines indented deeper than `col`
        // (for a list item, deeper than its dash).
        let dash = lines[i].len() - lines[i].trim_start_matches(' ').len();
        let own = if matches!(step, Step::Index(_)) {
            dash
        } else {
            col
        };
        let mut j = i + 1;
        while j < end {
            let l = lines[j];
            if !is_blank_or_comment(l) {
                let spaces = l.len() - l.trim_start_matches(' ').len();
                if spaces <= own {
                    break;
                }
            }
            j += 1;
        }
        parent_indent = Some(own);
        if matches!(step, Step::Index(_)) {
            // The item's first key sits on the dash line itself.
            start = i;
            parent_indent = Some(dash);
        } else {
            start = i + 1;
        }
        end = j;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
id: x
scheme:
  engine: paillier
  key_bits: 1024
profiles:
  quick:
    epochs: 2
  full:
    epochs: 150
claims:
  - id: A
    metric: m
    tolerance:
      band: [1, 2]
  - id: B
    metric: n
    tolerance:
      absolute: 0.5
";

    #[test]
    fn finds_nested_keys() {
        assert_eq!(locate(DOC, "scheme.key_bits"), Some((4, 3)));
        assert_eq!(locate(DOC, "profiles.full.epochs"), Some((9, 5)));
        assert_eq!(locate(DOC, "profiles.quick.epochs"), Some((7, 5)));
    }

    #[test]
    fn finds_list_items() {
        assert_eq!(locate(DOC, "claims[0]"), Some((11, 5)));
        assert_eq!(locate(DOC, "claims[1].id"), Some((15, 5)));
        assert_eq!(locate(DOC, "claims[1].tolerance.absolute"), Some((18, 7)));
        assert_eq!(locate(DOC, "claims[0].tolerance.band"), Some((14, 7)));
    }

    #[test]
    fn falls_back_to_closest_parent() {
        assert_eq!(locate(DOC, "scheme.mode"), Some((2, 1)));
        assert_eq!(locate(DOC, "nothing"), None);
    }
}
