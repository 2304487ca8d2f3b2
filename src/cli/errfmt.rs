//! Error reports as psql prints them:
//!
//! ```text
//! driftdb:script.sql:8: ERROR:  relation "nope" does not exist
//! LINE 2:  nope
//!          ^
//! DETAIL:  ...
//! HINT:  ...
//! ```
//!
//! The `LINE n:` excerpt and its caret follow libpq's `reportErrorPosition`:
//! the position is a 1-based character index into the statement text; only
//! the line holding it is shown, cut to about 60 screen columns around it
//! with `...` marking a cut, tabs shown as spaces.

use unicode_width::UnicodeWidthChar;

use crate::error::Error;

/// Screen columns of statement text shown on the `LINE` line.
const DISPLAY_SIZE: usize = 60;
/// Columns kept to the right of the error position when cutting.
const MIN_RIGHT_CUT: usize = 10;

/// The full report for `err` raised by `query` (if known), each line ending
/// in `\n`; `prefix` (e.g. `driftdb:f.sql:3: `) goes before the first line.
pub fn format_error(err: &Error, query: Option<&str>, prefix: &str) -> String {
    let mut out = format!("{prefix}ERROR:  {}\n", err.message());
    if let Some(e) = err.as_sql() {
        if let (Some(pos), Some(q)) = (e.position, query)
            && let Some(excerpt) = error_position(q, pos)
        {
            out.push_str(&excerpt);
        }
        if let Some(d) = &e.detail {
            out.push_str(&format!("DETAIL:  {d}\n"));
        }
        if let Some(h) = &e.hint {
            out.push_str(&format!("HINT:  {h}\n"));
        }
    }
    out
}

/// Screen width of one character on the excerpt line: control and
/// zero-width characters count 1, as in libpq.
fn char_cols(c: char) -> usize {
    match c.width() {
        Some(w) if w > 0 => w,
        _ => 1,
    }
}

/// The `LINE n: …` and caret lines for 1-based character `position` in
/// `query`, or `None` when the position lies outside the text.
pub fn error_position(query: &str, position: u32) -> Option<String> {
    let loc = (position as usize).checked_sub(1)?;
    let chars: Vec<char> = query
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    // cols[i]: starting screen column of char i, filled up to the line end.
    let mut cols = Vec::with_capacity(chars.len() + 1);
    let (mut col, mut line_no, mut ibeg) = (0usize, 1usize, 0usize);
    let mut iend = None;
    for (i, &c) in chars.iter().enumerate() {
        cols.push(col);
        if c == '\r' || c == '\n' {
            if i < loc {
                if c == '\r' || i == 0 || chars[i - 1] != '\r' {
                    line_no += 1;
                }
                ibeg = i + 1;
            } else {
                iend = Some(i);
                break;
            }
        }
        col += char_cols(c);
    }
    let mut iend = match iend {
        Some(e) => e,
        None => {
            cols.push(col);
            chars.len()
        }
    };
    if loc > iend {
        return None;
    }
    let (mut beg_trunc, mut end_trunc) = (false, false);
    if cols[iend] - cols[ibeg] > DISPLAY_SIZE {
        if cols[ibeg] + DISPLAY_SIZE >= cols[loc] + MIN_RIGHT_CUT {
            while cols[iend] - cols[ibeg] > DISPLAY_SIZE {
                iend -= 1;
            }
            end_trunc = true;
        } else {
            while cols[loc] + MIN_RIGHT_CUT < cols[iend] {
                iend -= 1;
                end_trunc = true;
            }
            while cols[iend] - cols[ibeg] > DISPLAY_SIZE {
                ibeg += 1;
                beg_trunc = true;
            }
        }
    }
    let mut head = format!("LINE {line_no}: ");
    if beg_trunc {
        head.push_str("...");
    }
    let indent = head.chars().map(char_cols).sum::<usize>() + cols[loc] - cols[ibeg];
    let text: String = chars[ibeg..iend].iter().collect();
    let tail = if end_trunc { "..." } else { "" };
    Some(format!("{head}{text}{tail}\n{}^\n", " ".repeat(indent)))
}

#[cfg(test)]
mod tests {
    //! Expected excerpts captured from psql 15.18 / PostgreSQL 15.18.
    use super::*;
    use crate::error::SqlState;

    #[test]
    fn single_line_caret() {
        assert_eq!(
            error_position("select * from nope;", 15).unwrap(),
            "LINE 1: select * from nope;\n                      ^\n"
        );
    }

    #[test]
    fn caret_on_a_later_line() {
        // `select * from\n nope\n where x;` -> position of `nope` is 16.
        assert_eq!(
            error_position("select * from\n nope\n where x;", 16).unwrap(),
            "LINE 2:  nope\n         ^\n"
        );
        assert_eq!(
            error_position("select\n  1,\n  2 +\n ;", 20).unwrap(),
            "LINE 4:  ;\n         ^\n"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_position() {
        let q = "select 1 from d where id = 1 and aaaaaaaaaaaaaaaaaaaa = 1 and \
                 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb = 2 and cccccccccccccccc = 3";
        assert_eq!(
            error_position(q, 34).unwrap(),
            "LINE 1: select 1 from d where id = 1 and aaaaaaaaaaaaaaaaaaaa = 1 an...\n\
             \x20                                        ^\n"
        );
        let q = "select zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz \
                 from d where id = 1 and aaaaaaaaaaaaaaaaaaaa = 1";
        assert_eq!(
            error_position(q, 8).unwrap(),
            "LINE 1: select zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...\n\
             \x20              ^\n"
        );
    }

    #[test]
    fn left_cut_when_the_position_is_far_right() {
        // select x, x, ... x, from nope  (40 times "x, "): error at "from".
        let q = format!("select {}from nope", "x, ".repeat(40));
        let pos = q.find("from").unwrap() as u32 + 1;
        assert_eq!(
            error_position(&q, pos).unwrap(),
            format!(
                "LINE 1: ...{}from nope\n{}^\n",
                "x, ".repeat(17),
                " ".repeat(62)
            )
        );
    }

    #[test]
    fn tabs_show_as_spaces() {
        assert_eq!(
            error_position("select 1,\n\t\tx from d;", 20).unwrap(),
            "LINE 2:   x from d;\n                 ^\n"
        );
    }

    #[test]
    fn wide_characters_shift_the_caret() {
        assert_eq!(
            error_position("select '日本' + x", 15).unwrap(),
            "LINE 1: select '日本' + x\n                        ^\n"
        );
    }

    #[test]
    fn out_of_range_positions_print_nothing() {
        assert_eq!(error_position("select 1", 0), None);
        assert_eq!(error_position("select 1", 20), None);
        assert!(
            error_position("select 1", 9).is_some(),
            "just past the end is allowed"
        );
    }

    #[test]
    fn full_report_with_detail_and_hint() {
        let e = Error::sql(
            SqlState::UNIQUE_VIOLATION,
            "duplicate key value violates unique constraint \"d_pkey\"",
        )
        .with_detail("Key (id)=(1) already exists.")
        .with_hint("Pick another id.");
        assert_eq!(
            format_error(&e, Some("insert into d values (1);"), "driftdb:t3.sql:9: "),
            "driftdb:t3.sql:9: ERROR:  duplicate key value violates unique constraint \"d_pkey\"\n\
             DETAIL:  Key (id)=(1) already exists.\n\
             HINT:  Pick another id.\n"
        );
        let e =
            Error::sql(SqlState::SYNTAX_ERROR, "syntax error at or near \";\"").with_position(11);
        assert_eq!(
            format_error(&e, Some("select 1 +;"), ""),
            "ERROR:  syntax error at or near \";\"\nLINE 1: select 1 +;\n                  ^\n"
        );
        assert_eq!(
            format_error(&Error::Io("disk on fire".into()), None, ""),
            "ERROR:  I/O error: disk on fire\n"
        );
    }
}
