use super::util::{cycling_labels, write_idx_dataset, TempDir};
use crate::data::{load_task, write_idx_labels, DataError, DatasetKind, Task, TaskSpec};

/// An MNIST-like folder: train has 100 samples cycling over the digits plus 40 extra fives
/// (so 50 fives, 10 sixes); test has 30 cycling samples.
fn mnist_like(t: &TempDir) -> TaskSpec {
    write_idx_dataset(
        &t.0.join("mnist"),
        &cycling_labels(100, 5, 40),
        &cycling_labels(30, 0, 0),
    );
    TaskSpec::new(DatasetKind::Mnist, &t.0)
}

/// Class of each sample, read back from the pixel value (class * 20 / 255).
fn classes_of(task: &Task) -> Vec<u8> {
    (0..task.train.len())
        .map(|i| (task.train.sample(i)[0] * 255.0 / 20.0).round() as u8)
        .collect()
}

#[test]
fn the_paper_pair_keeps_only_its_two_classes() {
    let t = TempDir::new();
    let task = load_task(&mnist_like(&t)).unwrap();
    assert_eq!(task.name, "mnist digit 5 vs digit 6");
    assert_eq!((task.train.n_pos, task.train.n_neg), (50, 10));
    assert_eq!((task.test.n_pos, task.test.n_neg), (3, 3));
    assert_eq!(task.train.shape, vec![1, 4, 3]);
    assert_eq!(task.train.x.len(), 60 * 12);
    for (i, c) in classes_of(&task).into_iter().enumerate() {
        assert_eq!(task.train.labels[i], if c == 5 { 1.0 } else { 0.0 });
        assert!(c == 5 || c == 6);
    }
    assert!(task.train.x.iter().all(|&v| (0.0..=1.0).contains(&v)));
}

#[test]
fn ratio_keeps_a_seeded_rounded_share_of_training_positives_only() {
    let t = TempDir::new();
    let spec = TaskSpec {
        ratio: 5.0,
        seed: 1,
        ..mnist_like(&t)
    };
    let a = load_task(&spec).unwrap();
    assert_eq!(
        (a.train.n_pos, a.train.n_neg, a.train_pos_available),
        (10, 10, 50)
    );
    assert_eq!(
        (a.test.n_pos, a.test.n_neg),
        (3, 3),
        "the test set is never subsampled"
    );
    let b = load_task(&spec).unwrap();
    assert_eq!(a.train, b.train, "same seed, same samples");
    // Samples stay in file order, so another choice of positives shows in the label sequence.
    let c = load_task(&TaskSpec {
        seed: 2,
        ..spec.clone()
    })
    .unwrap();
    assert_eq!(c.train.n_pos, 10);
    assert_ne!(a.train.labels, c.train.labels);
    // round(50 / 3) = 17; a huge ratio still keeps one positive.
    assert_eq!(
        load_task(&TaskSpec {
            ratio: 3.0,
            ..spec.clone()
        })
        .unwrap()
        .train
        .n_pos,
        17
    );
    assert_eq!(
        load_task(&TaskSpec {
            ratio: 1e6,
            ..spec.clone()
        })
        .unwrap()
        .train
        .n_pos,
        1
    );
    assert_eq!(
        load_task(&TaskSpec { ratio: 1.0, ..spec })
            .unwrap()
            .train
            .n_pos,
        50
    );
}

#[test]
fn ratios_below_one_are_rejected() {
    let t = TempDir::new();
    for ratio in [0.5, 0.0, -2.0, f64::NAN, f64::INFINITY] {
        let err = load_task(&TaskSpec {
            ratio,
            ..mnist_like(&t)
        })
        .unwrap_err();
        assert!(matches!(err, DataError::Ratio { .. }), "{ratio}: {err:?}");
    }
}

#[test]
fn one_vs_all_makes_every_other_class_negative() {
    let t = TempDir::new();
    let spec = TaskSpec {
        positive_class: Some(3),
        ..mnist_like(&t)
    };
    let task = load_task(&spec).unwrap();
    assert_eq!(task.name, "mnist digit 3 vs all other classes");
    assert_eq!((task.train.n_pos, task.train.n_neg), (10, 130));
    assert_eq!((task.test.n_pos, task.test.n_neg), (3, 27));
    let sub = load_task(&TaskSpec {
        ratio: 4.0,
        ..spec.clone()
    })
    .unwrap();
    assert_eq!(
        (sub.train.n_pos, sub.train.n_neg),
        (3, 130),
        "round(10 / 4) = 3 (2.5 rounds away from zero)"
    );
    let err = load_task(&TaskSpec {
        positive_class: Some(10),
        ..spec
    })
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("positive class 10 does not exist in mnist"),
        "{err}"
    );
}

#[test]
fn a_class_missing_from_a_split_is_an_error() {
    let t = TempDir::new();
    // Test split without any 6.
    write_idx_dataset(&t.0.join("mnist"), &cycling_labels(20, 5, 0), &[5, 5, 1]);
    let err = load_task(&TaskSpec::new(DatasetKind::Mnist, &t.0)).unwrap_err();
    assert!(
        matches!(err, DataError::EmptyClass { split: "test", .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("no negative (digit 6) sample"),
        "{err}"
    );
}

#[test]
fn images_and_labels_must_agree_on_the_count() {
    let t = TempDir::new();
    let spec = mnist_like(&t);
    write_idx_labels(&t.0.join("mnist/t10k-labels-idx1-ubyte"), &[5, 6]).unwrap();
    let err = load_task(&spec).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                n_images: 30,
                n_labels: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("holds 30 images but"), "{err}");
}

#[test]
fn missing_data_says_where_it_looked_and_how_to_fetch_it() {
    let t = TempDir::new();
    let err = load_task(&TaskSpec::new(DatasetKind::Mnist, &t.0)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::Missing { .. }), "{err:?}");
    assert!(
        msg.contains("train-images-idx3-ubyte.gz") && msg.contains("tools/fetch-data.sh"),
        "{msg}"
    );
}

#[test]
fn gzip_idx_files_load_like_raw_ones() {
    let t = TempDir::new();
    let spec = mnist_like(&t);
    let raw = load_task(&spec).unwrap();
    for f in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"] {
        let p = t.0.join("mnist").join(f);
        let gz = super::util::gzip(&std::fs::read(&p).unwrap());
        std::fs::remove_file(&p).unwrap();
        std::fs::write(p.with_file_name(format!("{f}.gz")), gz).unwrap();
    }
    assert_eq!(load_task(&spec).unwrap().train, raw.train);
}

#[test]
fn dataset_names_parse_and_unknown_ones_are_listed() {
    for (name, kind) in [
        ("mnist", DatasetKind::Mnist),
        ("Fashion-MNIST", DatasetKind::FashionMnist),
        ("cifar10", DatasetKind::Cifar10),
        ("tis", DatasetKind::Csv("tis".into())),
        ("csv:my/data", DatasetKind::Csv("my/data".into())),
    ] {
        assert_eq!(name.parse::<DatasetKind>().unwrap(), kind);
    }
    let err = "imagenet".parse::<DatasetKind>().unwrap_err().to_string();
    assert!(
        err.contains("mnist, fashion-mnist, cifar10, tis, csv:DIR"),
        "{err}"
    );
}
