//! A small RFC 4180 CSV writer that also defuses spreadsheet formulas in text cells.
//!
//! Hand-written rather than the `csv` crate: the exports need only writing, one rule
//! the crate does not have (formula neutralisation, which must run before quoting), and
//! rows appended to a reused buffer that becomes one chunk of a streamed body.

use std::fmt::Write as _;

/// First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
/// Injection"): `=`, `+`, `-`, `@`, tab and carriage return.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Rows written into a byte buffer, CRLF after each (RFC 4180).
pub struct Writer {
    buf: Vec<u8>,
    /// True at the start of a row: the next cell needs no separator.
    row_start: bool,
}

impl Writer {
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            buf: Vec::with_capacity(bytes),
            row_start: true,
        }
    }

    /// A header row of plain names.
    pub fn header(&mut self, names: &[&str]) {
        for name in names {
            self.text(name);
        }
        self.end_row();
    }

    /// A text cell that came from a person (a name, an email, a title): a leading
    /// formula character gets a `'` before it, so a spreadsheet shows the text instead
    /// of running it; then the cell is quoted if it needs to be.
    pub fn text(&mut self, value: &str) {
        self.separate();
        let defused = value.starts_with(FORMULA_STARTS);
        let quoted = value.contains([',', '"', '\r', '\n']);
        if quoted {
            self.buf.push(b'"');
        }
        if defused {
            self.buf.push(b'\'');
        }
        if quoted {
            for (i, part) in value.split('"').enumerate() {
                if i > 0 {
                    self.buf.extend_from_slice(b"\"\"");
                }
                self.buf.extend_from_slice(part.as_bytes());
            }
            self.buf.push(b'"');
        } else {
            self.buf.extend_from_slice(value.as_bytes());
        }
    }

    /// An optional text cell: empty when absent.
    pub fn opt_text(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.separate(),
        }
    }

    /// A cell the server formats itself (a number, a date, an enum name): written as
    /// is. These are never neutralised: a negative figure such as `-3` is a number to a
    /// spreadsheet, not a formula, and a `'` would turn it into text that no longer
    /// sums. Only values a person typed can carry a formula, and those go through
    /// [`Self::text`]. Must not contain a separator, quote or line break.
    pub fn value(&mut self, value: impl std::fmt::Display) {
        self.separate();
        let start = self.buf.len();
        let mut cell = Cell(&mut self.buf);
        let _ = write!(cell, "{value}");
        debug_assert!(
            !self.buf[start..]
                .iter()
                .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')),
            "a formatted value needs no quoting"
        );
    }

    /// Ends the current row.
    pub fn end_row(&mut self) {
        self.buf.extend_from_slice(b"\r\n");
        self.row_start = true;
    }

    /// The bytes written since the last call, leaving the buffer empty (its capacity
    /// stays for the next page).
    pub fn take(&mut self) -> Vec<u8> {
        let capacity = self.buf.capacity();
        std::mem::replace(&mut self.buf, Vec::with_capacity(capacity))
    }

    fn separate(&mut self) {
        if !self.row_start {
            self.buf.push(b',');
        }
        self.row_start = false;
    }
}

/// `fmt::Write` into the buffer, so numbers are formatted without a `String` each.
struct Cell<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Cell<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> String {
        let mut writer = Writer::with_capacity(64);
        for cell in cells {
            writer.text(cell);
        }
        writer.end_row();
        String::from_utf8(writer.take()).expect("UTF-8")
    }

    #[test]
    fn plain_cells_are_written_as_they_are_with_crlf_after_the_row() {
        assert_eq!(
            row(&["Ada", "Lovelace", "ada@example.org"]),
            "Ada,Lovelace,ada@example.org\r\n"
        );
        assert_eq!(row(&["", "x", ""]), ",x,\r\n");
        assert_eq!(row(&["Zoë", "Łukasz", "山田"]), "Zoë,Łukasz,山田\r\n");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted_and_quotes_doubled() {
        assert_eq!(row(&["Smith, Jr."]), "\"Smith, Jr.\"\r\n");
        assert_eq!(row(&["say \"hi\""]), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(row(&["two\nlines"]), "\"two\nlines\"\r\n");
        assert_eq!(row(&["a\r\nb"]), "\"a\r\nb\"\r\n");
        assert_eq!(row(&["\""]), "\"\"\"\"\r\n");
    }

    #[test]
    fn formula_starts_get_a_quote_mark_before_quoting() {
        assert_eq!(
            row(&["=HYPERLINK(\"http://x\")"]),
            "\"'=HYPERLINK(\"\"http://x\"\")\"\r\n"
        );
        assert_eq!(row(&["+1"]), "'+1\r\n");
        assert_eq!(row(&["-2"]), "'-2\r\n");
        assert_eq!(row(&["@SUM(A1)"]), "'@SUM(A1)\r\n");
        assert_eq!(row(&["\tx"]), "'\tx\r\n");
        assert_eq!(row(&["\rx"]), "\"'\rx\"\r\n");
        assert_eq!(row(&["=1,2"]), "\"'=1,2\"\r\n");
        // Only the first character counts.
        assert_eq!(row(&["a=b", "x-y"]), "a=b,x-y\r\n");
    }

    #[test]
    fn values_the_server_formats_are_never_neutralised() {
        let mut writer = Writer::with_capacity(64);
        writer.value(-3);
        writer.value(12.5);
        writer.opt_text(None);
        writer.text("-3");
        writer.end_row();
        writer.header(&["a", "b"]);
        assert_eq!(
            String::from_utf8(writer.take()).expect("UTF-8"),
            "-3,12.5,,'-3\r\na,b\r\n"
        );
        assert!(writer.take().is_empty(), "take empties the buffer");
    }
}
