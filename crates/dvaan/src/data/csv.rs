//! Numeric CSV: one sample per row, comma-separated numbers, one of the columns an integer
//! class label. Fields may be padded with spaces or wrapped in double quotes; quoted commas,
//! missing values and non-finite numbers are not supported and are reported where they occur.
//! The file may be gzip-compressed.
//!
//! Header: by default the first row is a header exactly when none of its cells is a number,
//! so a data row with one bad cell is reported rather than mistaken for a header.

use std::path::{Path, PathBuf};

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
    pub classes: Vec<u32>,
    /// The 1-based line of each row, so that later checks can point at it.
    pub lines: Vec<usize>,
}

/// A field's text and the 1-based character column where it starts.
struct Field<'a> {
    text: &'a str,
    column: usize,
}

fn split_fields(line: &str) -> Vec<Field<'_>> {
    let mut fields = Vec::new();
    let mut column = 1;
    for text in line.split(',') {
        fields.push(Field { text, column });
        column += text.chars().count() + 1;
    }
    fields
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
    let mut rows = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty())
        .peekable();

    let Some(&(first_line, first)) = rows.peek() else {
        return Err(csv_err(
            1,
            1,
            "the file holds no rows; expected numeric CSV data".into(),
        ));
    };
    let first_fields = split_fields(first);
    let width = first_fields.len();
    let has_header = options
        .header
        .unwrap_or_else(|| first_fields.iter().all(|f| number(f.text).is_none()));
    let header: Option<Vec<String>> = if has_header {
        rows.next();
        Some(
            first_fields
                .iter()
                .map(|f| clean(f.text).to_string())
                .collect(),
        )
    } else {
        None
    };
    if width < 2 {
        return Err(csv_err(
            first_line,
            1,
            format!("the row has {width} field; expected at least one feature and a label column"),
        ));
    }
    let label = match (&options.label, &header) {
        (LabelColumn::Last, _) => width - 1,
        (LabelColumn::Name(name), Some(h)) => {
            h.iter()
                .position(|c| c == name)
                .ok_or_else(|| DataError::LabelColumn {
                    path: file.path.clone(),
                    wanted: name.clone(),
                    available: h.clone(),
                })?
        }
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
    for (line_no, line) in rows {
        let fields = split_fields(line);
        if fields.len() != width {
            let (column, what) = if fields.len() < width {
                (
                    line.chars().count() + 1,
                    format!("field {} is missing", fields.len() + 1),
                )
            } else {
                (
                    fields[width].column,
                    "the extra field starts here".to_string(),
                )
            };
            return Err(csv_err(
                line_no,
                column,
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
            let Some(v) = number(field.text) else {
                let why = if clean(field.text).is_empty() {
                    "an empty cell; missing values are not supported, fill them in first".into()
                } else {
                    format!("{:?} is not a finite number", clean(field.text))
                };
                return Err(csv_err(
                    line_no,
                    field.column,
                    format!("column {}{name}: {why}; expected a number", k + 1),
                ));
            };
            if k != label {
                features.push(v as f32);
            } else if v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 {
                classes.push(v as u32);
            } else {
                return Err(csv_err(
                    line_no,
                    field.column,
                    format!(
                    "label column {}{name}: {v} is not a class number; expected a non-negative \
                     integer (for a binary task 0 = negative, 1 = positive)",
                    k + 1
                ),
                ));
            }
        }
        lines.push(line_no);
    }
    if classes.is_empty() {
        return Err(csv_err(
            first_line,
            1,
            "the file has a header but no data rows".into(),
        ));
    }
    let names = header.map(|mut h| {
        h.remove(label);
        h
    });
    Ok(Table {
        path: file.path,
        names,
        n_features: width - 1,
        features,
        classes,
        lines,
    })
}
