use super::util::{gzip, TempDir};
use crate::data::{read_idx_images, read_idx_labels, DataError};

fn image_file(n: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [0x0803u32, n, rows, cols] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(pixels);
    b
}

fn label_file(labels: &[u8]) -> Vec<u8> {
    let mut b = 0x0801u32.to_be_bytes().to_vec();
    b.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    b.extend_from_slice(labels);
    b
}

#[test]
fn reads_raw_and_gzip_files_alike() {
    let t = TempDir::new();
    let pixels: Vec<u8> = (0..2 * 3 * 2).collect();
    let raw = image_file(2, 3, 2, &pixels);
    for (name, bytes) in [
        ("a-idx3-ubyte", raw.clone()),
        ("b-idx3-ubyte.gz", gzip(&raw)),
        // Detected by content, not by name.
        ("c-idx3-ubyte", gzip(&raw)),
    ] {
        let img = read_idx_images(&t.write(name, &bytes)).unwrap();
        assert_eq!((img.n, img.rows, img.cols), (2, 3, 2), "{name}");
        assert_eq!(img.pixels, pixels, "{name}");
    }
    let labels = read_idx_labels(&t.write("l.gz", &gzip(&label_file(&[3, 9, 0]))), 10).unwrap();
    assert_eq!(labels.labels, vec![3, 9, 0]);
}

#[test]
fn truncated_header_names_the_offset() {
    let t = TempDir::new();
    let p = t.write("short-idx3-ubyte", &image_file(1, 2, 2, &[])[..10]);
    let err = read_idx_images(&p).unwrap_err();
    assert!(
        matches!(err, DataError::Truncated { offset: 8, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("short-idx3-ubyte: byte 8") && msg.contains("16-byte IDX header"),
        "{msg}"
    );
    assert!(msg.contains("fetch-data.sh"), "{msg}");

    let empty = t.write("empty-idx1-ubyte", &[]);
    assert!(matches!(
        read_idx_labels(&empty, 10),
        Err(DataError::Truncated { offset: 0, .. })
    ));
}

#[test]
fn truncated_pixels_say_how_much_was_expected() {
    let t = TempDir::new();
    let p = t.write("cut-idx3-ubyte", &image_file(3, 2, 2, &[7; 10]));
    let msg = read_idx_images(&p).unwrap_err().to_string();
    assert!(
        msg.contains("byte 26") && msg.contains("3 images of 2x2 pixels: 12 bytes, found 10"),
        "{msg}"
    );

    let gz = t.write("cut-idx3-ubyte.gz", &gzip(&image_file(3, 2, 2, &[7; 10])));
    let msg = read_idx_images(&gz).unwrap_err().to_string();
    assert!(msg.contains("byte 26 (after decompression)"), "{msg}");
}

#[test]
fn extra_bytes_after_the_data_are_an_error() {
    let t = TempDir::new();
    let p = t.write(
        "long-idx1-ubyte",
        &[label_file(&[1, 2]), vec![0, 0, 0]].concat(),
    );
    let err = read_idx_labels(&p, 10).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::TrailingBytes {
                offset: 10,
                extra: 3,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn wrong_magic_says_what_the_file_is() {
    let t = TempDir::new();
    let labels = t.write("train-labels-idx1-ubyte", &label_file(&[1]));
    let msg = read_idx_images(&labels).unwrap_err().to_string();
    assert!(
        msg.contains("magic number 0x00000801, expected 0x00000803"),
        "{msg}"
    );
    assert!(msg.contains("label file"), "{msg}");

    let text = t.write("notes-idx3-ubyte", b"hello, this is text");
    let err = read_idx_images(&text).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::BadMagic {
                found: 0x6865_6c6c,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("not an IDX file"));
}

#[test]
fn zero_sized_images_are_a_header_error() {
    let t = TempDir::new();
    let p = t.write("zero-idx3-ubyte", &image_file(4, 0, 28, &[]));
    assert!(matches!(
        read_idx_images(&p),
        Err(DataError::BadHeader { offset: 8, .. })
    ));
}

#[test]
fn labels_outside_the_classes_are_reported_with_their_offset() {
    let t = TempDir::new();
    let p = t.write("bad-idx1-ubyte", &label_file(&[1, 2, 12, 3, 200, 12]));
    let err = read_idx_labels(&p, 10).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("byte 10 (sample 2)") && msg.contains("12, 200"),
        "{msg}"
    );
}

#[test]
fn damaged_gzip_is_reported_not_misread() {
    let t = TempDir::new();
    let gz = gzip(&image_file(50, 28, 28, &vec![5; 50 * 784]));
    let p = t.write("damaged-idx3-ubyte.gz", &gz[..gz.len() / 2]);
    let err = read_idx_images(&p).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("damaged-idx3-ubyte.gz: the gzip stream"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let t = TempDir::new();
    let err = read_idx_images(&t.0.join("nope")).unwrap_err();
    assert!(
        matches!(err, DataError::Io { .. }) && err.to_string().contains("nope"),
        "{err}"
    );
}
