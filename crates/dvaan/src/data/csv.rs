//! Numeric CSV: one sample per row, comma-separated numbers, one of the columns an integer
//! class label. Records are split by the `csv` crate (RFC 4180 quoting: a quoted field may
//! hold commas, doubled quotes and line breaks); fields may also be padded with spaces around
//! their quotes. Missing values and non-finite numbers are not supported and are reported
//! where they occur. The file may be gzip-compressed.
//!
//! Header: by default the first row is a header exactly when none of its cells is a number,
//! so a data row with one bad cell is reported rather than mistaken for a header.

use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::error::DataError;
use super::source::read_file;

/// Which column holds the class label.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LabelColumn {
    /// The last column (the common layout of tabular benchmark files).
    #[default]
    Last,
    /// The column with this header name; the file must have a header.
    Name(String),
    /// No label column: every column is a feature (data to score, whose classes are not
    /// known). The table's `classes` is then empty.
    Absent,
}

#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    pub label: LabelColumn,
    /// `None` detects the header (see the module doc); `Some` forces it on or off.
    pub header: Option<bool>,
}

/// The rows of a CSV file, features row-major.
#[derive(Debug, Clone)]
pub struct Table {
    pub path: PathBuf,
    /// Feature names from the header, label column left out.
    pub names: Option<Vec<String>>,
    pub n_features: usize,
    pub features: Vec<f32>,
    /// Empty when read with [`LabelColumn::Absent`].
    pub classes: Vec<u32>,
    /// The 1-based line of each row, so that later checks can point at it.
    pub lines: Vec<usize>,
}

/// One record and where it lies in the file's text.
struct Row {
    fields: StringRecord,
    /// The 1-based line the record starts on.
    line: usize,
    /// Byte offsets of the record's first byte and of the byte after its terminator.
    start: usize,
    end: usize,
}

/// The 1-based line and character column of byte `offset` of `text`.
fn locate(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// Byte offsets (within the file) where each field of `row` starts, as the CSV parser read
/// them: `csv` keeps only the unquoted contents, so the record's text is scanned again by the
/// same crate family's core reader, which counts the bytes each field consumed.
fn field_starts(text: &str, row: &Row) -> Vec<usize> {
    let raw = &text.as_bytes()[row.start..row.end];
    let mut reader = csv_core::Reader::new();
    let mut scratch = [0u8; 256];
    let (mut starts, mut at) = (vec![row.start], 0);
    loop {
        let (result, consumed, _) = reader.read_field(&raw[at..], &mut scratch);
        at += consumed;
        match result {
            csv_core::ReadFieldResult::Field { record_end: false } => starts.push(row.start + at),
            csv_core::ReadFieldResult::Field { record_end: true }
            | csv_core::ReadFieldResult::End => return starts,
            // A field longer than the scratch buffer, or the text's end before a terminator:
            // reading on (with empty input, which marks the end) finishes the field.
            csv_core::ReadFieldResult::OutputFull | csv_core::ReadFieldResult::InputEmpty => {}
        }
    }
}

/// The line and character column just after the last character of `row`, its terminator
/// left out.
fn end_column(text: &str, row: &Row) -> (usize, usize) {
    let body = text[row.start..row.end].trim_end_matches(['\r', '\n']);
    locate(text, row.start + body.len())
}

fn clean(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .map(str::trim)
        .unwrap_or(t)
}

fn number(text: &str) -> Option<f64> {
    clean(text).parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The file's records, blank lines left out.
fn records(
    text: &str,
    csv_err: impl Fn(usize, usize, String) -> DataError,
) -> Result<Vec<Row>, DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let (mut rows, mut fields) = (Vec::new(), StringRecord::new());
    // Lines are counted as the reading goes, so that each row's line costs only the text
    // since the previous row.
    let (mut counted_to, mut line) = (0, 1);
    loop {
        let before = reader.position().byte() as usize;
        match reader.read_record(&mut fields) {
            Ok(false) => return Ok(rows),
            Ok(true) => {
                let end = reader.position().byte() as usize;
                // The reader skips blank lines before a record; they are not part of it.
                let skipped = text[before..end]
                    .bytes()
                    .take_while(|b| matches!(b, b'\r' | b'\n'))
                    .count();
                let start = before + skipped;
                line += text[counted_to..start].matches('\n').count();
                counted_to = start;
                let blank = fields.len() == 1 && fields[0].trim().is_empty();
                if !blank {
                    rows.push(Row {
                        fields: fields.clone(),
                        line,
                        start,
                        end,
                    });
                }
            }
            // The text is valid UTF-8 read from memory, so the reader has no error to give;
            // should it give one, it is reported where the reader stopped.
            Err(e) => {
                let at = e.position().map_or(before, |p| p.byte() as usize);
                let (line, column) = locate(text, at.min(text.len()));
                return Err(csv_err(line, column, e.to_string()));
            }
        }
    }
}

pub fn read_csv(path: &Path, options: &CsvOptions) -> Result<Table, DataError> {
    let file = read_file(path)?;
    let csv_err = |line: usize, column: usize, message: String| DataError::Csv {
        path: file.path.clone(),
        line,
        column,
        message,
    };
    let text = std::str::from_utf8(&file.bytes).map_err(|e| {
        let before = &file.bytes[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        csv_err(
            line,
            column,
            "invalid UTF-8; expected a plain-text CSV file".into(),
        )
    })?;
    let rows = records(text, csv_err)?;
    let Some(first) = rows.first() else {
        return Err(csv_err(
            1,
            1,
            "the file holds no rows; expected numeric CSV data".into(),
        ));
    };
    let (first_line, width) = (first.line, first.fields.len());
    let has_header = options
        .header
        .unwrap_or_else(|| first.fields.iter().all(|f| number(f).is_none()));
    let header: Option<Vec<String>> =
        has_header.then(|| first.fields.iter().map(|f| clean(f).to_string()).collect());
    let labelled = options.label != LabelColumn::Absent;
    if width < 1 + usize::from(labelled) {
        return Err(csv_err(
            first_line,
            1,
            format!("the row has {width} field; expected at least one feature and a label column"),
        ));
    }
    let label = match (&options.label, &header) {
        (LabelColumn::Absent, _) => None,
        (LabelColumn::Last, _) => Some(width - 1),
        (LabelColumn::Name(name), Some(h)) => Some(h.iter().position(|c| c == name).ok_or_else(
            || DataError::LabelColumn {
                path: file.path.clone(),
                wanted: name.clone(),
                available: h.clone(),
            },
        )?),
        (LabelColumn::Name(name), None) => {
            return Err(csv_err(
                first_line,
                1,
                format!(
                    "the label column {name:?} was asked for by name, but the file has no header \
                 row; add one, or leave --label-column out to use the last column"
                ),
            ))
        }
    };

    let (mut features, mut classes, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    for row in &rows[usize::from(has_header)..] {
        let fields = &row.fields;
        if fields.len() != width {
            let (at, what) = if fields.len() < width {
                (
                    end_column(text, row),
                    format!("field {} is missing", fields.len() + 1),
                )
            } else {
                (
                    locate(text, field_starts(text, row)[width]),
                    "the extra field starts here".to_string(),
                )
            };
            return Err(csv_err(
                at.0,
                at.1,
                format!(
                    "the row has {} fields, expected {width} as in line {first_line}; {what}",
                    fields.len()
                ),
            ));
        }
        for (k, field) in fields.iter().enumerate() {
            let name = header
                .as_ref()
                .map(|h| format!(" ({:?})", h[k]))
                .unwrap_or_default();
            let at = || locate(text, field_starts(text, row)[k]);
            let Some(v) = number(field) else {
                let why = if clean(field).is_empty() {
                    "an empty cell; missing values are not supported, fill them in first".into()
                } else {
                    format!("{:?} is not a finite number", clean(field))
                };
                let (line, column) = at();
                return Err(csv_err(
                    line,
                    column,
                    format!("column {}{name}: {why}; expected a number", k + 1),
                ));
            };
            if Some(k) != label {
                features.push(v as f32);
            } else if v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 {
                classes.push(v as u32);
            } else {
                let (line, column) = at();
                return Err(csv_err(
                    line,
                    column,
                    format!(
                    "label column {}{name}: {v} is not a class number; expected a non-negative \
                     integer (for a binary task 0 = negative, 1 = positive)",
                    k + 1
                ),
                ));
            }
        }
        lines.push(row.line);
    }
    if lines.is_empty() {
        return Err(csv_err(
            first_line,
            1,
            "the file has a header but no data rows".into(),
        ));
    }
    let names = header.map(|mut h| {
        if let Some(label) = label {
            h.remove(label);
        }
        h
    });
    Ok(Table {
        path: file.path,
        names,
        n_features: width - usize::from(labelled),
        features,
        classes,
        lines,
    })
}
