//! Bad command lines and bad inputs that fail before any training: each exits with status 2
//! and a message naming the problem, never a panic. No GPU work beyond listing adapters.

mod cli_support;

use cli_support::*;

fn train_with(extra: &[&str]) -> std::process::Output {
    let tmp = TempDir::new("err");
    let data = tiny_mnist(&tmp.0);
    let mut args = tiny_train_args(&data, &tmp.join("run"));
    for pair in extra.chunks(2) {
        set(&mut args, pair[0], pair[1]);
    }
    dvaan(&args)
}

#[test]
fn unknown_method_and_dataset_list_the_valid_names() {
    let o = train_with(&["--method", "gan"]);
    fails(&o, &["gan", "dvaan-mu"]);
    let o = dvaan(&["train", "--dataset", "imagenet", "--out", "x"]);
    fails(&o, &["imagenet", "fashion-mnist"]);
}

#[test]
fn ratio_below_one_is_refused() {
    fails(
        &train_with(&["--ratio", "0.5"]),
        &["ratio 1:0.5", "R must be"],
    );
}

#[test]
fn batch_larger_than_the_data_is_refused() {
    fails(
        &train_with(&["--batch", "500"]),
        &["mini-batch size 500", "between 1 and 16"],
    );
}

#[test]
fn bad_hyper_parameters_name_the_flag() {
    fails(
        &train_with(&["--epochs", "0"]),
        &["--epochs must be at least 1"],
    );
    fails(&train_with(&["--beta1", "1.5"]), &["--beta1"]);
}

#[test]
fn missing_adapter_names_the_fix() {
    fails(
        &train_with(&["--adapter", "no-such-gpu"]),
        &["no-such-gpu", "--adapter"],
    );
    fails(
        &dvaan(&["eval", "--checkpoint", "nowhere", "--adapter", "x"]),
        &["nowhere", "no checkpoint file"],
    );
}

#[test]
fn existing_output_folder_is_never_overwritten_silently() {
    let tmp = TempDir::new("exists");
    let data = tiny_mnist(&tmp.0);
    let out = tmp.join("run");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = dvaan(&tiny_train_args(&data, &out));
    fails(
        &o,
        &["already holds a run", "notes.txt", "--resume", "--force"],
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn resume_needs_a_checkpoint_and_keeps_its_configuration() {
    let tmp = TempDir::new("resume");
    fails(
        &dvaan(&["train", "--resume", &tmp.0.display().to_string()]),
        &["checkpoint.safetensors", "--resume takes"],
    );
    fails(
        &dvaan(&["train", "--resume", "x", "--lr", "0.1"]),
        &["--lr cannot change when resuming"],
    );
    fails(
        &dvaan(&["train", "--resume", "x", "--dataset", "mnist"]),
        &["--resume", "--dataset"],
    );
}

#[test]
fn files_that_are_not_checkpoints_are_reported() {
    let tmp = TempDir::new("corrupt");
    let p = tmp.join("junk.safetensors");
    std::fs::write(&p, b"definitely not a checkpoint").unwrap();
    fails(
        &dvaan(&["eval", "--checkpoint", &p.display().to_string()]),
        &["junk.safetensors", "not a usable checkpoint"],
    );
    std::fs::write(&p, [1, 0]).unwrap();
    fails(
        &dvaan(&["sample", "--checkpoint", &p.display().to_string()]),
        &["too short"],
    );
}

#[test]
fn train_help_shows_every_hyper_parameter_with_its_default() {
    let help = ok(&dvaan(&["train", "--help"]));
    for flag in [
        "--method",
        "--epochs",
        "--batch",
        "--latent",
        "--seed",
        "--lr",
        "--beta1",
        "--beta2",
        "--lambda1",
        "--lambda2",
        "--gamma",
        "--eta-mu",
        "--mu0",
        "--mu-min",
        "--mu-max",
        "--fixed-mu",
        "--aug-every",
        "--aug-n",
        "--aug-both",
        "--strict-adv",
        "--log-every",
        "--backend",
        "--adapter",
        "--quiet",
        "--resume",
        "--force",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
    for default in [
        "[default: 0.0002]",
        "[default: 64]",
        "[default: 32]",
        "[default: dvaan]",
    ] {
        assert!(help.contains(default), "--help lacks {default}:\n{help}");
    }
    assert!(!help.contains("inject"), "the test hook must stay hidden");
}
