use super::util::{gzip, TempDir};
use crate::data::{load_task, read_csv, CsvOptions, DataError, DatasetKind, LabelColumn, TaskSpec};

fn opts(label: &str) -> CsvOptions {
    CsvOptions {
        label: LabelColumn::Name(label.into()),
        header: None,
    }
}

fn csv_err(err: DataError) -> (usize, usize, String) {
    let msg = err.to_string();
    match err {
        DataError::Csv { line, column, .. } => (line, column, msg),
        other => panic!("expected a CSV error, got {other:?}"),
    }
}

#[test]
fn header_is_detected_and_label_chosen_by_name_or_last() {
    let t = TempDir::new();
    let p = t.write("a.csv", b"f1, \"y\" ,f2\r\n1.5,1,-2\r\n\r\n3,0,4e1\r\n");
    let table = read_csv(&p, &opts("y")).unwrap();
    assert_eq!(table.names, Some(vec!["f1".to_string(), "f2".to_string()]));
    assert_eq!(table.features, vec![1.5, -2.0, 3.0, 40.0]);
    assert_eq!(table.classes, vec![1, 0]);
    assert_eq!(table.lines, vec![2, 4]);

    let p = t.write("b.csv", b"0.5,2,1\n0.25,3,0\n");
    let table = read_csv(&p, &CsvOptions::default()).unwrap();
    assert_eq!(table.names, None);
    assert_eq!((table.n_features, table.classes.clone()), (2, vec![1, 0]));

    let gz = t.write("c.csv.gz", &gzip(b"a,b\n1,0\n"));
    assert_eq!(
        read_csv(&gz, &CsvOptions::default()).unwrap().classes,
        vec![0]
    );
}

#[test]
fn a_short_row_reports_line_and_the_column_after_its_end() {
    let t = TempDir::new();
    let p = t.write("r.csv", b"a,b,label\n1,2,0\n3,4\n");
    let (line, column, msg) = csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err());
    assert_eq!((line, column), (3, 4));
    assert!(
        msg.contains("r.csv:3:4:")
            && msg.contains("2 fields, expected 3")
            && msg.contains("field 3 is missing"),
        "{msg}"
    );
}

#[test]
fn a_long_row_points_at_the_extra_field() {
    let t = TempDir::new();
    let p = t.write("r.csv", b"1,2,0\n10,20,1,99\n");
    let (line, column, msg) = csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err());
    assert_eq!((line, column), (2, 9));
    assert!(msg.contains("4 fields, expected 3"), "{msg}");
}

#[test]
fn a_non_numeric_cell_is_located_and_named() {
    let t = TempDir::new();
    let p = t.write("n.csv", b"x1,x2,y\n1,2,0\n1,abc,1\n");
    let (line, column, msg) = csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err());
    assert_eq!((line, column), (3, 3));
    assert!(
        msg.contains("column 2 (\"x2\")") && msg.contains("\"abc\" is not a finite number"),
        "{msg}"
    );

    let p = t.write("e.csv", b"1,,0\n");
    let (_, column, msg) = csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err());
    assert_eq!(column, 3);
    assert!(msg.contains("empty cell"), "{msg}");

    // A first row with a number in it is data, so its bad cell is an error, not a header.
    let p = t.write("h.csv", b"1,oops,0\n");
    assert_eq!(
        csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err()).0,
        1
    );
    let p = t.write("inf.csv", b"1,inf,0\n");
    assert!(read_csv(&p, &CsvOptions::default()).is_err());
}

#[test]
fn quoted_fields_follow_csv_rules_and_columns_count_the_raw_text() {
    let t = TempDir::new();
    // A quoted header name may hold a comma; a quoted number is a number.
    let p = t.write("q.csv", b"\"a,b\",\"y\"\n\"1.5\",1\n");
    let table = read_csv(&p, &opts("y")).unwrap();
    assert_eq!(table.names, Some(vec!["a,b".to_string()]));
    assert_eq!((table.features, table.classes), (vec![1.5], vec![1]));

    // Columns count the file's characters, quotes included.
    let p = t.write("c.csv", b"1,2,0\n\"1.5\",oops,0\n");
    let (line, column, msg) = csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err());
    assert_eq!((line, column), (2, 7), "{msg}");
    let p = t.write("x.csv", b"1,2,0\n1,\"2,5\",0,9\n");
    let (line, column, msg) = csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err());
    assert_eq!((line, column), (2, 11), "{msg}");
    assert!(msg.contains("4 fields, expected 3"), "{msg}");

    // Blank and whitespace-only lines are skipped but counted.
    let p = t.write("b.csv", b"a,b,c\n1,2,0\n  \n\r\n1,x,0\n");
    let (line, column, _) = csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err());
    assert_eq!((line, column), (5, 3));

    // A field longer than the parser's scratch space still ends where it ends.
    let mut long = b"1,2,0\n".to_vec();
    long.extend([b' '; 300]);
    long.extend(b"1,oops,0\n");
    let p = t.write("l.csv", &long);
    let (line, column, _) = csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err());
    assert_eq!((line, column), (2, 303));
}

#[test]
fn labels_must_be_class_numbers() {
    let t = TempDir::new();
    let p = t.write("l.csv", b"1,0\n2,0.5\n");
    let (line, column, msg) = csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err());
    assert_eq!((line, column), (2, 3));
    assert!(msg.contains("0.5 is not a class number"), "{msg}");
}

#[test]
fn label_column_errors() {
    let t = TempDir::new();
    let p = t.write("h.csv", b"a,b,c\n1,2,0\n");
    let err = read_csv(&p, &opts("target")).unwrap_err();
    assert!(matches!(err, DataError::LabelColumn { .. }));
    assert!(err
        .to_string()
        .contains("no column named \"target\"; the header has: a, b, c"));
    let p = t.write("nh.csv", b"1,2,0\n");
    assert!(csv_err(read_csv(&p, &opts("c")).unwrap_err())
        .2
        .contains("no header"));
    let p = t.write("empty.csv", b"\n\n");
    assert!(csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err())
        .2
        .contains("no rows"));
    let p = t.write("onlyheader.csv", b"a,b\n");
    assert!(csv_err(read_csv(&p, &CsvOptions::default()).unwrap_err())
        .2
        .contains("no data rows"));
}

#[test]
fn tabular_task_standardises_with_train_statistics() {
    let t = TempDir::new();
    // Feature 0: train values 0, 2, 4, 6 (mean 3, population std sqrt(5)); feature 1 constant.
    t.write("tis/train.csv", b"f,g,label\n0,7,1\n2,7,0\n4,7,0\n6,7,1\n");
    t.write("tis/test.csv", b"f,g,label\n3,8,1\n8,7,0\n");
    let task = load_task(&TaskSpec::new(DatasetKind::Csv("tis".into()), &t.0)).unwrap();
    assert_eq!(task.train.shape, vec![2]);
    assert_eq!(
        (
            task.train.n_pos,
            task.train.n_neg,
            task.test.n_pos,
            task.test.n_neg
        ),
        (2, 2, 1, 1)
    );
    let s = task.standardiser.as_ref().unwrap();
    assert_eq!((s.mean.clone(), s.std[1]), (vec![3.0, 7.0], 1.0));
    let sd = 5f32.sqrt();
    assert!((task.train.x[0] - (-3.0 / sd)).abs() < 1e-6);
    assert_eq!(task.train.x[1], 0.0);
    assert_eq!(&task.test.x[..2], &[0.0, 1.0]);
    assert!((task.test.x[2] - 5.0 / sd).abs() < 1e-6);
}

#[test]
fn a_binary_tabular_task_rejects_other_labels_but_one_vs_all_takes_them() {
    let t = TempDir::new();
    t.write("m/train.csv", b"1,0\n2,1\n3,2\n4,2\n5,3\n");
    t.write("m/test.csv", b"1,0\n2,1\n3,2\n");
    let spec = TaskSpec::new("csv:m".parse().unwrap(), &t.0);
    let err = load_task(&spec).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::UnknownLabels { .. }), "{err:?}");
    assert!(
        msg.contains("train.csv: line 3: unknown label value(s) 2, 3")
            && msg.contains("--positive-class"),
        "{msg}"
    );

    let task = load_task(&TaskSpec {
        positive_class: Some(2),
        ..spec.clone()
    })
    .unwrap();
    assert_eq!(
        (
            task.train.n_pos,
            task.train.n_neg,
            task.test.n_pos,
            task.test.n_neg
        ),
        (2, 3, 1, 2)
    );
    let err = load_task(&TaskSpec {
        positive_class: Some(7),
        ..spec
    })
    .unwrap_err();
    assert!(
        matches!(err, DataError::EmptyClass { split: "train", .. }),
        "{err:?}"
    );
}

#[test]
fn train_and_test_must_have_the_same_features() {
    let t = TempDir::new();
    t.write("d/train.csv", b"1,2,0\n1,2,1\n");
    t.write("d/test.csv", b"1,0\n1,1\n");
    let err = load_task(&TaskSpec::new("csv:d".parse().unwrap(), &t.0)).unwrap_err();
    assert!(matches!(err, DataError::ShapeMismatch { .. }), "{err:?}");
}
