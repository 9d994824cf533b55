//! Aligned text columns.

/// Longest cell printed; longer ones are cut with an ellipsis.
const MAX_CELL: usize = 72;

/// A cell: one line, at most [`MAX_CELL`] characters.
pub fn cell(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= MAX_CELL {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(MAX_CELL - 1).collect();
    cut.push('…');
    cut
}

/// `header` and `rows` with every column padded to its widest cell.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, (c, w)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(c);
            text.extend(std::iter::repeat_n(' ', w - c.chars().count()));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_long_cells_are_cut() {
        let t = render(
            &["ID", "SIZE"],
            &[
                vec!["a".into(), "10".into()],
                vec!["long-id".into(), "2".into()],
            ],
        );
        assert_eq!(t, "ID       SIZE\na        10\nlong-id  2\n");
        let long = cell(&"é\n".repeat(100));
        assert_eq!(long.chars().count(), MAX_CELL);
        assert!(long.ends_with('…') && !long.contains('\n'));
    }
}
