//! The model store under the failures a laptop or a server meets: the process killed (SIGKILL)
//! at any moment while it saves, two processes saving the same name at once, a full disk
//! (RLIMIT_FSIZE on the child, since the tests run as root), and a store the process may not
//! write (the child runs as `nobody`). Every model file is always a complete model, the old one
//! or the new one, and the listing keeps working.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use segql::model::{DirectoryStore, ModelStore};

fn segql() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segql"))
}

/// The statement that fits `k` segments of demo customers and saves them as `m`.
fn fit(k: usize) -> String {
    format!(
        "SELECT count(*) FROM kmeans_fit(rfm(demo_transactions(rows => 3000)), {k}, n_init => 2, model => 'm')"
    )
}

fn save(dir: &Path, k: usize) -> Output {
    segql()
        .args(["--models", &dir.display().to_string(), "-q", "-c", &fit(k)])
        .output()
        .expect("segql runs")
}

/// Model `m` loads cleanly and is one of the fits saved (k = 3 or 4), which it returns; the
/// listing works.
fn assert_intact(dir: &Path, context: &str) -> usize {
    let store = DirectoryStore::new(dir);
    let model = store
        .load("m")
        .unwrap_or_else(|e| panic!("{context}: model m is damaged: {e}"));
    assert!([3, 4].contains(&model.k()), "{context}: k = {}", model.k());
    let listed = store.list().expect("the listing works");
    assert_eq!(listed.len(), 1, "{context}: {listed:?}");
    assert!(listed[0].model.is_ok(), "{context}: {:?}", listed[0].model);
    model.k()
}

#[test]
fn kills_at_any_moment_never_tear_a_model() {
    let dir = tempfile::tempdir().unwrap();
    assert!(save(dir.path(), 3).status.success());
    let started = Instant::now();
    assert!(save(dir.path(), 4).status.success());
    // a kill anywhere from start-up to just after the save
    let span = started.elapsed().as_micros() as u64 + 20_000;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let kills = 200;
    let (mut finished, mut k) = (0, 4);
    for i in 0..kills {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = segql()
            .args(["--models", &dir.path().display().to_string(), "-q"])
            .args(["-c", &fit(3 + i % 2)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(seed % span));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = assert_intact(dir.path(), &format!("after kill {i}"));
        finished += usize::from(now != k);
        k = now;
    }
    // the kills fell both before and after saves completed
    assert!(
        finished >= 5 && kills - finished >= 5,
        "{finished} of {kills} saves finished"
    );
    // and segql itself still lists it
    let out = segql()
        .args([
            "--models",
            &dir.path().display().to_string(),
            "-q",
            "--format",
            "csv",
        ])
        .args(["-c", "SELECT name, kind FROM segql_models()"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "name,kind\nm,kmeans\n"
    );
}

#[test]
fn two_processes_saving_one_name_leave_one_whole_model() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..8 {
        let spawn = |k: usize| {
            segql()
                .args([
                    "--models",
                    &dir.path().display().to_string(),
                    "-q",
                    "-c",
                    &fit(k),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(3), spawn(4));
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_intact(dir.path(), &format!("round {round}"));
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_keeps_the_previous_model() {
    let dir = tempfile::tempdir().unwrap();
    assert!(save(dir.path(), 3).status.success());
    let before = std::fs::read(dir.path().join("m.segql-model")).unwrap();
    // files of at most 1 KiB (the model is several), and the signal a larger write raises
    // ignored so that the write fails with EFBIG, as a full disk fails with ENOSPC
    let script = format!(
        "trap '' XFSZ; ulimit -f 2; exec '{}' --models '{}' -q -c \"{}\"",
        env!("CARGO_BIN_EXE_segql"),
        dir.path().display(),
        fit(4)
    );
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("model store: cannot write") && stderr.contains("File too large"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("m.segql-model")).unwrap(),
        before,
        "the previous model changed"
    );
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(assert_intact(dir.path(), "after the full disk"), 3);
}

#[test]
fn a_store_the_user_cannot_write_is_a_clear_error() {
    // a directory nobody (uid 65534) can read but not write, and a copy of segql it may run
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let store = dir.path().join("models");
    std::fs::create_dir(&store).unwrap();
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).unwrap();
    let binary = dir.path().join("segql");
    std::fs::copy(env!("CARGO_BIN_EXE_segql"), &binary).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&binary)
        .args([
            "--models",
            &store.display().to_string(),
            "-q",
            "-c",
            &fit(3),
        ])
        .env("HOME", dir.path())
        .output()
        .expect("setpriv (util-linux) runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("model store: cannot write") && stderr.contains("Permission denied"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&store).unwrap().count(), 0);
}
