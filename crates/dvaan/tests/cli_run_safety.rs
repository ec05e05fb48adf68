//! A run is never lost: one process per run folder (the folder's lock), a checkpoint that
//! cannot be written stops training and keeps the previous one, and a failing GPU engine
//! gives an error rather than a panic. Each test trains on the tiny generated task.

mod cli_support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use cli_support::*;
use dvaan::run::lock::{host_name, LOCK};

/// `dvaan` with the test hook `var` set to `value`.
fn dvaan_with(var: &str, value: &str, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dvaan"))
        .args(args)
        .env(var, value)
        .env("XDG_RUNTIME_DIR", runtime_dir())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn runtime_dir() -> std::ffi::OsString {
    std::env::var_os("XDG_RUNTIME_DIR").unwrap_or_else(|| std::env::temp_dir().into())
}

/// A tiny run of the plain classifier: what these tests check (the lock, the checkpoint
/// writer, the engine guard) does not depend on the method, and `cnn` compiles and trains
/// fewer kernels than DVAAN.
fn train_args(data: &Path, out: &Path) -> Vec<String> {
    let mut args = tiny_train_args(data, out);
    args.extend(["--method".into(), "cnn".into()]);
    args
}

fn write_lock(dir: &Path, pid: u32) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(LOCK), format!("pid {pid}\nhost {}\n", host_name())).unwrap();
}

#[test]
fn a_held_lock_refuses_train_force_and_resume() {
    let tmp = TempDir::new("lock-held");
    let data = tiny_mnist(&tmp.0);
    let run = tmp.join("held");
    let me = std::process::id();
    write_lock(&run, me);
    let folder = run.display().to_string();
    let pid = me.to_string();
    let args = train_args(&data, &run);
    fails(&dvaan(&args), &[&folder, &pid, "in use"]);
    let mut forced = args.clone();
    forced.push("--force".into());
    fails(&dvaan(&forced), &[&folder, &pid, "in use"]);
    assert!(run.join(LOCK).exists(), "--force removed a live lock");

    // A finished run, then held by this process: resuming it is refused too.
    std::fs::remove_file(run.join(LOCK)).unwrap();
    ok(&dvaan(&args));
    write_lock(&run, me);
    let resume = ["train", "--resume", &folder, "--epochs", "2", "--quiet"];
    fails(&dvaan(&resume), &[&folder, &pid]);
    assert!(run.join(LOCK).exists());
}

#[test]
fn a_stale_lock_is_taken_over_and_released() {
    let tmp = TempDir::new("lock-stale");
    let data = tiny_mnist(&tmp.0);
    let run = tmp.join("stale");
    // Above Linux's largest PID, so no process has it.
    write_lock(&run, 999_999_999);
    let out = dvaan(&train_args(&data, &run));
    ok(&out);
    assert!(
        stderr(&out).contains("no longer running"),
        "{}",
        stderr(&out)
    );
    assert!(!run.join(LOCK).exists());
    assert!(run.join("checkpoint.safetensors").is_file());
}

#[test]
fn a_second_train_on_a_running_folder_fails_while_the_first_finishes() {
    let tmp = TempDir::new("lock-race");
    let data = tiny_mnist(&tmp.0);
    let run = tmp.join("busy");
    let mut args = train_args(&data, &run);
    set(&mut args, "--epochs", "2");
    let first = Command::new(env!("CARGO_BIN_EXE_dvaan"))
        .args(&args)
        .env("XDG_RUNTIME_DIR", runtime_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !run.join(LOCK).exists() {
        assert!(
            Instant::now() < deadline,
            "the first run never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut forced = args.clone();
    forced.push("--force".into());
    let pid = first.id().to_string();
    fails(&dvaan(&forced), &[&run.display().to_string(), &pid]);
    let done = first.wait_with_output().unwrap();
    ok(&done);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m["status"], "completed");
    assert_eq!(m["epochs"].as_array().unwrap().len(), 2);
    assert!(!run.join(LOCK).exists());
}

#[test]
fn a_checkpoint_that_cannot_be_written_stops_the_run_and_keeps_the_last() {
    let tmp = TempDir::new("ckpt-fail");
    let data = tiny_mnist(&tmp.0);
    let run = tmp.join("full");
    let mut args = train_args(&data, &run);
    set(&mut args, "--epochs", "2");
    let folder = run.display().to_string();
    fails(
        &dvaan_with("DVAAN_TEST_FAIL_CHECKPOINT_AT_EPOCH", "2", &args),
        &[
            &folder,
            "checkpoint of epoch 2 could not be written",
            "free on that filesystem",
            "epoch 1 is kept",
            "--resume",
        ],
    );
    assert!(!run.join(LOCK).exists());
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    assert!(m["status"].as_str().unwrap().starts_with("stopped"), "{m}");
    assert_eq!(m["epochs"].as_array().unwrap().len(), 1);
    let table = ok(&dvaan(&["eval", "--checkpoint", &folder]));
    assert!(table.contains("after 1 epochs"), "{table}");
    let names: Vec<String> = std::fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn an_engine_failure_names_batch_size_and_adapter() {
    let tmp = TempDir::new("engine");
    let data = tiny_mnist(&tmp.0);
    let run = tmp.join("oom");
    let args = train_args(&data, &run);
    let err = fails(
        &dvaan_with("DVAAN_TEST_ENGINE_PANIC_AT_EPOCH", "1", &args),
        &["batch size 8", "adapter ", "Out of Memory", "--batch"],
    );
    assert!(!err.contains("RUST_BACKTRACE"), "{err}");
    assert!(!run.join(LOCK).exists());
}

#[test]
fn an_engine_failure_after_training_is_an_error_in_every_command() {
    let tmp = TempDir::new("engine-commands");
    let data = tiny_mnist(&tmp.0);
    let run = tmp.join("run");
    let mut args = train_args(&data, &run);
    set(&mut args, "--epochs", "1");
    ok(&dvaan(&args));
    let folder = run.display().to_string();
    let out = tmp.join("out").display().to_string();
    let images = data
        .join("mnist/t10k-images-idx3-ubyte")
        .display()
        .to_string();
    let commands: [(&str, Vec<&str>); 4] = [
        ("evaluation", vec!["eval", "--checkpoint", &folder]),
        (
            "sampling",
            vec!["sample", "--checkpoint", &folder, "--out", &out],
        ),
        (
            "prediction",
            vec![
                "predict",
                "--checkpoint",
                &folder,
                "--input",
                &images,
                "--out",
                &out,
            ],
        ),
        (
            "resampling",
            vec!["resample", "--checkpoint", &folder, "--out", &out],
        ),
    ];
    for (what, command) in commands {
        let command: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        let during = format!("failed during {what}");
        let err = fails(
            &dvaan_with("DVAAN_TEST_ENGINE_PANIC_IN", what, &command),
            &[&during, "adapter ", "Out of Memory"],
        );
        assert!(!err.contains("RUST_BACKTRACE"), "{err}");
    }
    assert!(!tmp.join("out").exists());
}
