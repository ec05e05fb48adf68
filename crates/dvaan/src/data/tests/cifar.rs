use super::util::TempDir;
use crate::data::{load_task, read_cifar_file, CifarRecords, DataError, DatasetKind, TaskSpec};

/// One 3073-byte record: the label, then red, green and blue planes (value = plane + 1).
fn record(label: u8) -> Vec<u8> {
    let mut r = vec![label];
    for plane in 0..3u8 {
        r.extend(std::iter::repeat_n(plane + 1, 1024));
    }
    r
}

fn batch(labels: &[u8]) -> Vec<u8> {
    labels.iter().flat_map(|&l| record(l)).collect()
}

#[test]
fn cat_vs_dog_from_six_batch_files_in_nchw_order() {
    let t = TempDir::new();
    for i in 1..=5 {
        t.write(
            &format!("cifar10/data_batch_{i}.bin"),
            &batch(&[3, 5, 1, 3]),
        );
    }
    t.write("cifar10/test_batch.bin", &batch(&[5, 3, 9]));
    let task = load_task(&TaskSpec::new(DatasetKind::Cifar10, &t.0)).unwrap();
    assert_eq!(task.name, "cifar10 cat (3) vs dog (5)");
    assert_eq!((task.train.n_pos, task.train.n_neg), (10, 5));
    assert_eq!((task.test.n_pos, task.test.n_neg), (1, 1));
    assert_eq!(task.train.shape, vec![3, 32, 32]);
    let s = task.train.sample(0);
    // Channel-major: the first 1024 values are red.
    assert_eq!(
        (s[0], s[1023], s[1024], s[3071]),
        (1.0 / 255.0, 1.0 / 255.0, 2.0 / 255.0, 3.0 / 255.0)
    );
}

#[test]
fn a_missing_batch_file_is_named() {
    let t = TempDir::new();
    t.write("cifar-10-batches-bin/data_batch_1.bin", &batch(&[3, 5]));
    let err = load_task(&TaskSpec::new(DatasetKind::Cifar10, &t.0)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::Missing { .. }), "{err:?}");
    assert!(
        msg.contains("data_batch_2.bin") && msg.contains("binary version of CIFAR-10"),
        "{msg}"
    );
}

#[test]
fn record_size_must_divide_the_file() {
    let t = TempDir::new();
    let p = t.write("data_batch_1.bin", &[batch(&[1, 2]), vec![0; 100]].concat());
    let err = read_cifar_file(&p, &mut CifarRecords::default()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::RecordSize {
                len: 6246,
                record: 3073,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("byte 6146") && msg.contains("100 bytes are left over"),
        "{msg}"
    );
    let empty = t.write("empty.bin", &[]);
    assert!(matches!(
        read_cifar_file(&empty, &mut CifarRecords::default()),
        Err(DataError::RecordSize { .. })
    ));
}

#[test]
fn a_label_byte_above_nine_is_reported_at_its_record() {
    let t = TempDir::new();
    let p = t.write("data_batch_1.bin", &batch(&[1, 2, 10]));
    let msg = read_cifar_file(&p, &mut CifarRecords::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("byte 6146 (record 2)") && msg.contains("value(s) 10"),
        "{msg}"
    );
}
