//! `segql serve` driven by real clients: psql, and psycopg 3 / SQLAlchemy 2 / pandas through
//! tests/server/clients.py (installed by scripts/test-deps.sh into .venv-test). Each test
//! starts its own server on a free loopback port with the hand-checked `orders` table
//! (tests/fixtures/shell/orders.csv) and the demo `sales` table.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "server/faults.rs"]
mod faults;
#[path = "server/postgres_parity.rs"]
mod postgres_parity;

const USER: &str = "analyst";
const PASSWORD: &str = "s3cret pass:word";

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

/// A data directory with orders.csv, a users file and a model store, in a fresh temp dir.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::copy(
        manifest().join("tests/fixtures/shell/orders.csv"),
        dir.path().join("data/orders.csv"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("users.txt"),
        format!("# test users\n{USER}:{PASSWORD}\n"),
    )
    .unwrap();
    dir
}

fn serve_command(dir: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_segql"));
    command
        .arg("serve")
        .args(["--port", "0", "--demo"])
        .arg("--data")
        .arg(dir.join("data"))
        .arg("--models")
        .arg(dir.join("models"))
        .args(extra)
        .env_remove("SEGQL_USER")
        .env_remove("SEGQL_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Start a server with users from the users file plus `extra` options; wait until it listens.
fn start(extra: &[&str]) -> Server {
    let dir = workspace();
    let users = dir.path().join("users.txt");
    let mut args = vec!["--users", users.to_str().unwrap()];
    args.extend_from_slice(extra);
    start_in(dir, &args)
}

fn start_in(dir: tempfile::TempDir, args: &[&str]) -> Server {
    let mut child = serve_command(dir.path(), args).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(rest) = line.split("listening on ").nth(1) {
                let address = rest.split(';').next().unwrap_or_default();
                let port = address
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse::<u16>().ok());
                let _ = port_tx.send(port);
            }
        }
    });
    let port = match port_rx.recv_timeout(Duration::from_secs(120)) {
        Ok(Some(port)) => port,
        _ => panic!("server did not start:\n{}", log.lock().unwrap()),
    };
    Server {
        child,
        port,
        log,
        dir,
    }
}

/// The Python with psycopg, SQLAlchemy and pandas (scripts/test-deps.sh makes .venv-test).
fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("SEGQL_TEST_PYTHON") {
        return PathBuf::from(path);
    }
    let venv = manifest().join(".venv-test/bin/python");
    assert!(
        venv.exists(),
        "the server tests drive psycopg, SQLAlchemy and pandas: run `bash scripts/test-deps.sh` \
         once (or set SEGQL_TEST_PYTHON to a Python that has tests/server/requirements.txt)"
    );
    venv
}

fn client(server: &Server, scenario: &str, extra: &[&str]) -> String {
    client_as(server, scenario, USER, PASSWORD, extra)
}

fn client_as(
    server: &Server,
    scenario: &str,
    user: &str,
    password: &str,
    extra: &[&str],
) -> String {
    let output = Command::new(python())
        .arg(manifest().join("tests/server/clients.py"))
        .args([
            scenario,
            "127.0.0.1",
            &server.port.to_string(),
            user,
            password,
        ])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{scenario} failed:\n{stdout}\n{}\n--- server log ---\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    stdout
}

fn psql(server: &Server, password: &str, args: &[&str]) -> Output {
    Command::new(psql_binary())
        .arg(format!(
            "host=127.0.0.1 port={} user={USER} dbname=datafusion sslmode=disable",
            server.port
        ))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .args(args)
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "10")
        .current_dir(manifest())
        .output()
        .expect("psql runs")
}

fn psql_binary() -> &'static str {
    let found = Command::new("psql").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "psql is needed: install postgresql-client (scripts/test-deps.sh does)"
    );
    "psql"
}

fn ok(output: &Output, server: &Server) -> String {
    assert!(
        output.status.success(),
        "psql failed:\n{}\n{}\n--- server log ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn psql_reads_hand_computed_rfm() {
    let server = start(&[]);
    let out = ok(
        &psql(
            &server,
            PASSWORD,
            &[
                "-A",
                "-t",
                "-F",
                ",",
                "-c",
                "SELECT customer_id, recency_days, frequency, monetary FROM rfm(orders) ORDER BY 1",
            ],
        ),
        &server,
    );
    assert_eq!(out.trim(), "1,1,2,40.0\n2,3,1,5.5\n3,4,1,120.0");
    // A struct (here the rfm aggregate's) arrives as columns, not as a record.
    let spread = ok(
        &psql(
            &server,
            PASSWORD,
            &[
                "-A",
                "-F",
                ",",
                "-c",
                "SELECT customer_id, rfm(order_date, amount, TIMESTAMP '2024-01-06', order_id) AS r \
                 FROM orders GROUP BY 1 ORDER BY 1",
            ],
        ),
        &server,
    );
    let mut lines = spread.lines();
    assert_eq!(
        lines.next(),
        Some("customer_id,r_recency_days,r_frequency,r_monetary,r_first_purchase,r_last_purchase")
    );
    assert_eq!(
        lines.next(),
        Some("1,1,2,40.0,2024-01-01 00:00:00.000000,2024-01-05 00:00:00.000000")
    );
    assert_eq!(
        lines.nth(1),
        Some("3,4,1,120.0,2024-01-02 00:00:00.000000,2024-01-02 00:00:00.000000")
    );
    let tables = ok(&psql(&server, PASSWORD, &["-c", "\\dt"]), &server);
    assert!(
        tables.contains("orders") && tables.contains("sales"),
        "{tables}"
    );
}

#[test]
fn psql_runs_the_walkthrough_scripts() {
    let server = start(&[]);
    for script in [
        "sql/segmentation.sql",
        "sql/01_rfm.sql",
        "sql/02_choose_k.sql",
        "sql/03_fit_and_profile.sql",
        "sql/04_score_customers.sql",
        "sql/05_save_and_reuse.sql",
    ] {
        let out = ok(&psql(&server, PASSWORD, &["-f", script]), &server);
        assert!(
            out.contains("segment") || out.contains("recency"),
            "{script}:\n{out}"
        );
    }
    let saved = std::fs::read_dir(server.dir.path().join("models"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    assert!(
        saved.iter().any(|f| f.ends_with(".segql-model")),
        "{saved:?}"
    );
}

#[test]
fn psql_wrong_password_and_sandbox() {
    let server = start(&[]);
    let refused = psql(&server, "not the password", &["-c", "SELECT 1"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("password authentication failed for user"),
        "{message}"
    );
    let stolen = psql(
        &server,
        PASSWORD,
        &["-c", "SELECT * FROM rfm('/etc/passwd')"],
    );
    assert!(!stolen.status.success());
    let message = String::from_utf8_lossy(&stolen.stderr);
    assert!(
        message.contains("not a file under the served data directory"),
        "{message}"
    );
    // Still serving.
    assert_eq!(
        ok(
            &psql(&server, PASSWORD, &["-A", "-t", "-c", "SELECT 41 + 1"]),
            &server
        )
        .trim(),
        "42"
    );
}

#[test]
fn psycopg_server_side_parameters_and_types() {
    let server = start(&[]);
    client(&server, "psycopg_parameters", &[]);
}

#[test]
fn sqlalchemy_inspect_and_pandas_read_sql() {
    let server = start(&[]);
    client(&server, "sqlalchemy_inspect", &[]);
    client(&server, "pandas_read_sql", &[]);
}

/// SQLAlchemy 1.4 with psycopg2 (Superset 6's stack): every inspector method on every table,
/// and pandas.read_sql with a bound parameter (tests/server/sqlalchemy14.py).
#[test]
fn sqlalchemy_1_4_inspector_and_pandas() {
    let server = start(&[]);
    let port = server.port.to_string();
    run_in_superset_venv(
        &server,
        "sqlalchemy14.py",
        &["127.0.0.1", &port, USER, PASSWORD],
    );
}

/// Runs `script` (under tests/server/) with `args` in Superset's venv, which has SQLAlchemy
/// 1.4 and psycopg2 as Superset 6.1 pins them; fails with its output and `server`'s log.
fn run_in_superset_venv(server: &Server, script: &str, args: &[&str]) {
    let python = manifest().join(".venv-superset/bin/python");
    assert!(
        python.exists(),
        "run `bash scripts/test-deps.sh` once: it makes .venv-superset (Superset 6.1, SQLAlchemy 1.4)"
    );
    let output = Command::new(python)
        .arg(manifest().join("tests/server").join(script))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script}:\n{}\n{}\n--- server log ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
}

/// psql's `\d` family: `\df` lists segql's functions with their arguments, `\du` the login
/// role, `\d+` a table's columns; `\dt`, `\dn` and `\l` as before.
#[test]
fn psql_describe_commands_and_segql_functions() {
    let server = start(&[]);
    let df = ok(&psql(&server, PASSWORD, &["-c", "\\df"]), &server);
    for function in [
        "rfm",
        "kmeans_fit",
        "assign_segment",
        "segql_models",
        "drop_model",
    ] {
        assert!(
            df.lines()
                .any(|l| l.split('|').nth(1).is_some_and(|n| n.trim() == function)),
            "\\df lacks {function}:\n{df}"
        );
    }
    assert!(df.contains("input, k"), "kmeans_fit's arguments:\n{df}");
    assert!(df.contains("SETOF record"), "{df}");
    let plus = ok(&psql(&server, PASSWORD, &["-c", "\\d+ sales"]), &server);
    assert!(
        plus.contains("InvoiceNo") && plus.contains("Storage"),
        "{plus}"
    );
    for command in ["\\du", "\\dt", "\\dn", "\\l", "\\d sales"] {
        ok(&psql(&server, PASSWORD, &["-c", command]), &server);
    }
}

/// The Postgres JDBC driver (Debian's, as Metabase and DBeaver bundle it) browsing the server:
/// every DatabaseMetaData call BI tools make (keys, indexes, types, functions, procedures,
/// privileges included), segql's functions found by `getFunctions`, and a prepared
/// statement (tests/server/JdbcMetadata.java).
#[test]
fn jdbc_metadata_and_prepared_statement() {
    let server = start(&[]);
    let jar = "/usr/share/java/postgresql.jar";
    assert!(
        Path::new(jar).exists(),
        "{jar} is missing: run `bash scripts/test-deps.sh` (it installs libpostgresql-jdbc-java)"
    );
    let output = Command::new("java")
        .args(["-cp", jar])
        .arg(manifest().join("tests/server/JdbcMetadata.java"))
        .args(["127.0.0.1", &server.port.to_string(), USER, PASSWORD])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{out}\n{}\n--- server log ---\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    let functions = out
        .lines()
        .find_map(|l| l.strip_prefix("getFunctions "))
        .unwrap_or_default();
    for name in ["rfm", "kmeans_fit", "assign_segment", "drop_model"] {
        assert!(
            functions.split(['=', ',']).any(|n| n == name),
            "getFunctions lacks {name}: {functions}"
        );
    }
    assert!(
        out.contains("getColumns rows=8"),
        "sales has 8 columns:\n{out}"
    );
    assert!(
        out.contains("prepared statement count="),
        "the prepared statement ran:\n{out}"
    );
}

#[test]
fn superset_and_metabase_catalog_queries() {
    let server = start(&[]);
    client(&server, "catalog_queries", &[]);
}

#[test]
fn wrong_password_and_missing_user_are_rejected() {
    let server = start(&[]);
    client(&server, "wrong_password", &[]);
    assert!(
        server.log().contains("password authentication failed"),
        "{}",
        server.log()
    );
}

#[test]
fn sandbox_refuses_writes_and_outside_files() {
    let server = start(&[]);
    client(&server, "sandbox", &[]);
    assert!(!Path::new("/tmp/segql_stolen.csv").exists());
}

#[test]
fn read_only_refuses_model_writes() {
    let server = start(&["--read-only"]);
    client(&server, "read_only", &[]);
    assert!(!server.dir.path().join("models/ro.segql-model").exists());
}

#[test]
fn statement_timeout_cancel_and_oversize() {
    let server = start(&[]);
    client(&server, "timeout", &[]);
    client(&server, "cancel", &[]);
    client(&server, "oversize", &[]);
}

#[test]
fn server_statement_timeout_applies_without_set() {
    let server = start(&["--statement-timeout", "400ms"]);
    let out = psql(
        &server,
        PASSWORD,
        &[
            "-c",
            "SELECT * FROM kmeans_fit(rfm(sales), 8, n_init => 1000, max_iter => 300)",
        ],
    );
    assert!(!out.status.success());
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("statement timeout (400 ms"), "{message}");
}

#[test]
fn memory_limit_spills_or_fails_cleanly() {
    let server = start(&["--memory-limit", "2MiB"]);
    client(&server, "memory", &[]);
}

#[test]
fn max_connections_and_client_dropping_mid_query() {
    let server = start(&["--max-connections", "2"]);
    client(&server, "max_connections", &[]);
    drop(server);
    let server = start(&["--max-connections", "1"]);
    client(&server, "drop_mid_query", &[]);
    assert!(
        server.log().contains("the client disconnected"),
        "{}",
        server.log()
    );
}

#[test]
fn malformed_startup_packets_close_cleanly() {
    let server = start(&[]);
    let packets: [&[u8]; 3] = [
        // Length 8, protocol 0xdeadbeef.
        &[0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef],
        // A length far over any start-up packet.
        &[0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0],
        // An HTTP request on the Postgres port.
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    for packet in packets {
        let mut socket = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        socket.write_all(packet).unwrap();
        let mut reply = Vec::new();
        let started = Instant::now();
        // The server answers with an error and/or closes; it never hangs on us.
        let _ = socket.read_to_end(&mut reply);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{packet:?}: no close"
        );
        assert!(
            reply.is_empty() || reply[0] == b'E',
            "{packet:?}: {reply:?}"
        );
    }
    let out = ok(
        &psql(&server, PASSWORD, &["-A", "-t", "-c", "SELECT 1"]),
        &server,
    );
    assert_eq!(out.trim(), "1");
}

#[test]
fn fifty_concurrent_clients_mixed_workload() {
    let server = start(&[]);
    let out = client(&server, "concurrent", &["50", "8"]);
    assert!(out.contains("50 clients"), "{out}");
}

fn make_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl makes a test certificate");
    assert!(status.success());
    (cert, key)
}

#[test]
fn tls_required_refuses_plaintext() {
    let dir = workspace();
    let (cert, key) = make_certificate(dir.path());
    let users = dir.path().join("users.txt");
    let args = [
        "--users",
        users.to_str().unwrap(),
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--require-tls",
    ];
    let server = start_in(dir, &args);
    client(&server, "tls_required", &[]);
}

/// Start with `args` and expect the process to refuse, printing `expected`.
fn refuses_to_start(dir: &Path, args: &[&str], expected: &str) {
    let output = serve_command(dir, args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{args:?} started:\n{stderr}");
    assert!(stderr.contains(expected), "{args:?}:\n{stderr}");
    assert!(!stderr.contains("listening on"), "{stderr}");
}

#[test]
fn unsafe_or_broken_configurations_do_not_start() {
    let dir = workspace();
    let (cert, key) = make_certificate(dir.path());
    std::fs::write(dir.path().join("garbage.pem"), "not a certificate\n").unwrap();
    let (cert, key, garbage) = (
        cert.to_str().unwrap().to_string(),
        key.to_str().unwrap().to_string(),
        dir.path().join("garbage.pem").to_str().unwrap().to_string(),
    );
    let users = dir.path().join("users.txt").to_str().unwrap().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--host", "0.0.0.0"],
            "is not a loopback address and no users are configured",
        ),
        (
            vec!["--tls-cert", "/nonexistent.pem", "--tls-key", &key],
            "--tls-cert /nonexistent.pem",
        ),
        (
            vec!["--tls-cert", &garbage, "--tls-key", &key],
            "no PEM certificate",
        ),
        (
            vec!["--tls-cert", &cert, "--tls-key", &garbage],
            "no usable PEM private key",
        ),
        (vec!["--tls-cert", &cert], "--tls-cert needs --tls-key"),
        (
            vec!["--require-tls"],
            "--require-tls needs --tls-cert and --tls-key",
        ),
        (
            vec!["--users", "/nonexistent/users.txt"],
            "--users /nonexistent/users.txt",
        ),
        (vec!["--users", &garbage], "expected user:password"),
    ];
    for (args, expected) in cases {
        refuses_to_start(dir.path(), &args, expected);
    }
    // With users, a non-loopback address is allowed.
    let server = start_in(workspace(), &["--users", &users, "--host", "0.0.0.0"]);
    assert!(
        server.log().contains("listening on 0.0.0.0:"),
        "{}",
        server.log()
    );
}
