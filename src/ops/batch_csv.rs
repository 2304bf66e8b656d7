//! Reading a batch file: a CSV as spreadsheets save it (UTF-8 with or without a BOM, comma
//! or semicolon between cells), whose header names the session fields. Only the reading:
//! what the rows mean for requests is `batch.rs`.

use std::path::Path;

use crate::text::sanitize;
use crate::veriff::ExtraField;

/// A batch file larger than this is refused before it is parsed (about 100,000 rows of
/// every field): a batch is a list of people, not a database dump.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What a column of the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    FirstName,
    LastName,
    Lang,
    SelfId,
    Callback,
    VendorData,
    Extra(ExtraField),
}

impl Column {
    /// Every column a file may have, in the order the form shows them.
    pub fn all() -> Vec<Column> {
        let mut all = vec![
            Column::FirstName,
            Column::LastName,
            Column::Lang,
            Column::SelfId,
            Column::Callback,
            Column::VendorData,
        ];
        all.extend(ExtraField::ALL.map(Column::Extra));
        all
    }

    /// Its name in a header (the extra fields' keys are theirs, as in config and exports).
    pub fn key(self) -> &'static str {
        match self {
            Column::FirstName => "first_name",
            Column::LastName => "last_name",
            Column::Lang => "lang",
            Column::SelfId => "selfid",
            Column::Callback => "callback",
            Column::VendorData => "vendor_data",
            Column::Extra(f) => f.key(),
        }
    }

    /// The column a header cell names: case, spaces, dashes and underscores do not count
    /// (`First Name`, `first-name` and `FIRSTNAME` are `first_name`).
    pub fn from_header(cell: &str) -> Option<Column> {
        let wanted = loose(cell);
        Column::all().into_iter().find(|c| loose(c.key()) == wanted)
    }
}

fn loose(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_') && !crate::text::is_unsafe(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// One row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// Where the row starts in the file (1 is the header).
    pub line: u64,
    /// The cells as written, trimmed.
    pub cells: Vec<String>,
}

/// A batch file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub delimiter: u8,
    /// The file began with a UTF-8 BOM (a spreadsheet's "CSV UTF-8"): the output keeps one.
    pub bom: bool,
    /// The header cells as written.
    pub header: Vec<String>,
    /// What each column holds, in the header's order.
    pub columns: Vec<Column>,
    /// Rows with at least one non-blank cell (blank rows, which spreadsheets leave at the
    /// end, are skipped).
    pub rows: Vec<SheetRow>,
}

/// Why a batch file cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("cannot read {path}: {detail}")]
    Read { path: String, detail: String },
    #[error("{path} is larger than {} MiB; split it into smaller batches", MAX_FILE_BYTES / (1024 * 1024))]
    TooLarge { path: String },
    #[error(
        "{path} is not UTF-8 text (line {line}); save it as \"CSV UTF-8\" from the spreadsheet"
    )]
    NotUtf8 { path: String, line: u64 },
    #[error("{path} is empty: its first line must name the columns (first_name, last_name, …)")]
    Empty { path: String },
    #[error(
        "{path}: unknown column{} {}; nothing was sent. Columns: {}",
        if names.len() == 1 { "" } else { "s" },
        names.join(", "),
        Column::all().iter().map(|c| c.key()).collect::<Vec<_>>().join(", ")
    )]
    UnknownColumns { path: String, names: Vec<String> },
    #[error("{path}: the column {name} is there twice; nothing was sent")]
    DuplicateColumn { path: String, name: String },
    #[error("{path}: {detail}")]
    Csv { path: String, detail: String },
}

/// Reads and parses the batch file at `path`.
pub fn read(path: &Path) -> Result<Sheet, SheetError> {
    let shown = sanitize(&path.display().to_string());
    let read_err = |e: std::io::Error| SheetError::Read {
        path: shown.clone(),
        detail: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_FILE_BYTES {
        return Err(SheetError::TooLarge { path: shown });
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    parse(&bytes, &shown)
}

/// Parses a batch file's bytes; `shown` names it in errors.
pub fn parse(bytes: &[u8], shown: &str) -> Result<Sheet, SheetError> {
    let (bom, bytes) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let text = std::str::from_utf8(bytes).map_err(|e| SheetError::NotUtf8 {
        path: shown.to_string(),
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64,
    })?;
    let delimiter = delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let empty = || SheetError::Empty {
        path: shown.to_string(),
    };
    let csv_err = |e: csv::Error| SheetError::Csv {
        path: shown.to_string(),
        detail: sanitize(&e.to_string()),
    };
    let header: Vec<String> = records
        .next()
        .ok_or_else(empty)?
        .map_err(csv_err)?
        .iter()
        .map(|c| c.trim().to_string())
        .collect();
    if header.iter().all(|c| c.is_empty()) {
        return Err(empty());
    }
    let columns = columns(&header, shown)?;
    let mut rows = Vec::new();
    // Lines counted by hand: the reader's position of a record after a blank line is the
    // blank line's.
    let (mut counted_to, mut line) = (0usize, 1u64);
    for record in records {
        let record = record.map_err(csv_err)?;
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while matches!(text.as_bytes().get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        if let Some(passed) = text.as_bytes().get(counted_to..start) {
            line += passed.iter().filter(|b| **b == b'\n').count() as u64;
            counted_to = start;
        }
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        rows.push(SheetRow { line, cells });
    }
    Ok(Sheet {
        delimiter,
        bom,
        header,
        columns,
        rows,
    })
}

/// Every header cell named, or every unknown one said at once.
fn columns(header: &[String], shown: &str) -> Result<Vec<Column>, SheetError> {
    let mut columns = Vec::new();
    let mut unknown = Vec::new();
    for (i, cell) in header.iter().enumerate() {
        match Column::from_header(cell) {
            Some(c) if columns.contains(&c) => {
                return Err(SheetError::DuplicateColumn {
                    path: shown.to_string(),
                    name: c.key().to_string(),
                });
            }
            Some(c) => columns.push(c),
            None if cell.is_empty() => unknown.push(format!("(column {}, no name)", i + 1)),
            None => unknown.push(format!("\"{}\"", sanitize(cell))),
        }
    }
    if unknown.is_empty() {
        Ok(columns)
    } else {
        Err(SheetError::UnknownColumns {
            path: shown.to_string(),
            names: unknown,
        })
    }
}

/// `;` when the header line has more semicolons than commas outside quotes (a spreadsheet
/// in a locale whose decimal mark is the comma), else `,`.
fn delimiter(text: &str) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0usize, 0usize, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

impl Sheet {
    /// The cell of `column` in `row`, empty when the column is not there or the row is
    /// short.
    pub fn cell<'a>(&self, row: &'a SheetRow, column: Column) -> &'a str {
        self.columns
            .iter()
            .position(|c| *c == column)
            .and_then(|i| row.cells.get(i))
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_loosely_and_unknown_ones_are_named() {
        let sheet = parse(
            b"First Name,LAST-NAME,e_mail,Document Country\nA,B,a@b.ee,ee\n",
            "f",
        )
        .unwrap();
        assert_eq!(
            sheet.columns,
            vec![
                Column::FirstName,
                Column::LastName,
                Column::Extra(ExtraField::Email),
                Column::Extra(ExtraField::DocumentCountry)
            ]
        );
        let err = parse(b"first_name,shoe size,,last_name\n", "f").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"shoe size\""), "{text}");
        assert!(text.contains("(column 3, no name)"), "{text}");
    }

    #[test]
    fn bom_and_semicolons_are_recognised() {
        let sheet = parse(
            "\u{feff}first_name;last_name;address\nAnna;Tamm;\"Narva mnt 5, Tallinn\"\n\n;;\nJaan;Kask;\n"
                .as_bytes(),
            "f",
        )
        .unwrap();
        assert!(sheet.bom);
        assert_eq!(sheet.delimiter, b';');
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].cells[2], "Narva mnt 5, Tallinn");
        assert_eq!(sheet.rows[1].line, 5);
    }

    #[test]
    fn not_utf8_names_the_line() {
        let err = parse(b"first_name\nAnna\nJ\xe4an\n", "f").unwrap_err();
        assert_eq!(
            err,
            SheetError::NotUtf8 {
                path: "f".into(),
                line: 3
            }
        );
    }
}
