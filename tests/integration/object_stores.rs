//! Files where analysts keep them, without the internet: an S3-compatible server (moto) and a
//! web server that answers range requests (RangeHTTPServer), both on loopback and started here
//! from `.venv-test` (scripts/test-deps.sh installs them). The shell segments a bucket and a
//! URL, writes back with COPY, `segql serve --data s3://...` serves a prefix and nothing
//! outside it, and every failure is one line naming the URL and what to set.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn venv_bin(name: &str) -> PathBuf {
    let path = root().join(".venv-test/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run bash scripts/test-deps.sh (README's test command does)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A background process, killed when dropped.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(program: &Path, args: &[&str], dir: &Path, envs: &[(&str, &str)]) -> Background {
    let child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    Background(child)
}

/// A moto S3 server on a free loopback port; with `auth`, it checks signatures.
fn moto(auth: bool) -> (Background, String) {
    let port = free_port();
    let envs: &[(&str, &str)] = if auth {
        &[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]
    } else {
        &[]
    };
    let server = start(
        &venv_bin("moto_server"),
        &["-H", "127.0.0.1", "-p", &port.to_string()],
        &root(),
        envs,
    );
    wait_for(port);
    (server, format!("http://127.0.0.1:{port}"))
}

/// The environment of a user whose only AWS settings are these (no ~/.aws, no instance
/// metadata lookups).
fn aws_env<'a>(home: &'a Path, endpoint: &'a str, keys: Option<&'a str>) -> Vec<(String, String)> {
    let mut env = vec![
        ("HOME".to_string(), home.display().to_string()),
        ("AWS_ENDPOINT_URL".to_string(), endpoint.to_string()),
        ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
        (
            "AWS_CONFIG_FILE".to_string(),
            home.join("no-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_string(),
            home.join("no-credentials").display().to_string(),
        ),
    ];
    if let Some(key) = keys {
        env.push(("AWS_ACCESS_KEY_ID".to_string(), key.to_string()));
        env.push(("AWS_SECRET_ACCESS_KEY".to_string(), key.to_string()));
    }
    env
}

fn segql(args: &[&str], env: &[(String, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_segql"));
    command.args(args).current_dir(root());
    for key in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT",
        "AWS_ENDPOINT_URL",
    ] {
        command.env_remove(key);
    }
    command
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `rfm()` of a relation, every column, in customer order, as CSV.
fn rfm_csv(relation: &str, env: &[(String, String)]) -> String {
    let sql = format!("SELECT * FROM rfm({relation}) ORDER BY 1");
    stdout(&segql(&["--format", "csv", "-q", "-c", &sql], env))
}

const LOCAL: &str = "'tests/fixtures/transactions_20k.parquet'";

/// A bucket `shop` holding the fixture transactions at `sales/transactions.parquet`.
fn fill_bucket(endpoint: &str) {
    let script = format!(
        "import boto3\n\
         s3 = boto3.client('s3', endpoint_url='{endpoint}', aws_access_key_id='test', \
         aws_secret_access_key='test', region_name='us-east-1')\n\
         s3.create_bucket(Bucket='shop')\n\
         s3.upload_file('tests/fixtures/transactions_20k.parquet', 'shop', 'sales/transactions.parquet')\n"
    );
    let out = Command::new(venv_bin("python"))
        .args(["-c", &script])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_bucket_on_an_s3_compatible_server_is_segmented_and_written_back() {
    let (_server, endpoint) = moto(false);
    fill_bucket(&endpoint);
    let home = tempfile::tempdir().unwrap();
    let env = aws_env(home.path(), &endpoint, Some("test"));
    let local = rfm_csv(LOCAL, &env);
    assert!(local.lines().count() > 100, "{local}");

    // a quoted object, and a prefix (a directory of files)
    assert_eq!(
        rfm_csv("'s3://shop/sales/transactions.parquet'", &env),
        local
    );
    assert_eq!(rfm_csv("'s3://shop/sales/'", &env), local);

    // CREATE EXTERNAL TABLE, then COPY the RFM back to the bucket and read it again
    let out = segql(
        &[
            "--format",
            "csv",
            "-q",
            "-c",
            "CREATE EXTERNAL TABLE remote STORED AS PARQUET LOCATION 's3://shop/sales/'",
            "-c",
            "COPY (SELECT * FROM rfm(remote)) TO 's3://shop/out/rfm.parquet'",
            "-c",
            "SELECT count(*) AS customers FROM 's3://shop/out/rfm.parquet'",
        ],
        &env,
    );
    let customers = local.lines().count() - 1;
    assert!(
        stdout(&out).ends_with(&format!("customers\n{customers}\n")),
        "{}",
        stdout(&out)
    );
}

#[test]
fn object_store_failures_are_one_line_naming_the_url_and_what_to_set() {
    let (_open, endpoint) = moto(false);
    fill_bucket(&endpoint);
    let (_guarded, guarded) = moto(true);
    let home = tempfile::tempdir().unwrap();
    let query = |url: &str| format!("SELECT count(*) FROM rfm('{url}')");
    let cases = [
        (
            aws_env(home.path(), &endpoint, Some("test")),
            "s3://no-such-bucket/sales.parquet",
            "cannot read s3://no-such-bucket/sales.parquet: the bucket does not exist",
        ),
        (
            aws_env(home.path(), &endpoint, Some("test")),
            "s3://shop/nothing-here/",
            "cannot read s3://shop/nothing-here/: nothing there",
        ),
        (
            aws_env(home.path(), &guarded, Some("not-a-key")),
            "s3://shop/sales/transactions.parquet",
            "cannot read s3://shop/sales/transactions.parquet: access denied; set AWS_ACCESS_KEY_ID",
        ),
        (
            aws_env(home.path(), &guarded, None),
            "s3://shop/sales/transactions.parquet",
            "no AWS credentials were found, so the request went unsigned: set AWS_ACCESS_KEY_ID",
        ),
        (
            aws_env(
                home.path(),
                &format!("http://127.0.0.1:{}", free_port()),
                Some("test"),
            ),
            "s3://shop/sales/transactions.parquet",
            "cannot reach the server (http://127.0.0.1:",
        ),
    ];
    for (env, url, expected) in cases {
        let err = stderr(&segql(&["-c", &query(url)], &env));
        assert!(err.contains(expected), "{url}: {err}");
        assert!(!err.contains("Internal error"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

#[test]
fn a_file_on_a_web_server_with_range_requests_is_segmented() {
    let port = free_port();
    let _server = start(
        &venv_bin("python"),
        &[
            "-m",
            "RangeHTTPServer",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ],
        &root().join("tests/fixtures"),
        &[],
    );
    wait_for(port);
    let env = Vec::new();
    let url = format!("'http://127.0.0.1:{port}/transactions_20k.parquet'");
    assert_eq!(rfm_csv(&url, &env), rfm_csv(LOCAL, &env));
    let missing = format!("http://127.0.0.1:{port}/missing.parquet");
    served_by_segql_serve(&format!("http://127.0.0.1:{port}/"));
    let err = stderr(&segql(
        &["-c", &format!("SELECT * FROM rfm('{missing}')")],
        &env,
    ));
    assert!(
        err.contains(&format!("cannot read {missing}: nothing there")),
        "{err}"
    );
}

/// `segql serve --data prefix` on a free port, with a model store in `home`.
fn serve(prefix: &str, home: &Path, env: &[(String, String)]) -> (Background, u16) {
    let port = free_port();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_segql"));
    serve
        .args([
            "serve",
            "--data",
            prefix,
            "--port",
            &port.to_string(),
            "--models",
        ])
        .arg(home.join("models"))
        .current_dir(root())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let server = Background(serve.spawn().unwrap());
    wait_for(port);
    (server, port)
}

/// One statement through psql, unaligned and without headers.
fn psql(port: u16, sql: &str) -> Output {
    Command::new("psql")
        .args([
            &format!("host=127.0.0.1 port={port} user=analyst dbname=datafusion"),
            "-X",
            "-A",
            "-t",
            "-c",
            sql,
        ])
        .output()
        .unwrap()
}

/// `segql serve --data URL/` answers psql with the RFM of `transactions_20k.parquet` there.
fn served_by_segql_serve(prefix: &str) {
    let home = tempfile::tempdir().unwrap();
    let (_serve, port) = serve(prefix, home.path(), &[]);
    let out = psql(port, "SELECT count(*) FROM rfm('transactions_20k.parquet')");
    let local = rfm_csv(LOCAL, &[]).lines().count() - 1;
    assert_eq!(stdout(&out).trim(), local.to_string());
}

#[test]
fn segql_serve_serves_a_bucket_prefix_and_nothing_outside_it() {
    let (_server, endpoint) = moto(false);
    fill_bucket(&endpoint);
    let home = tempfile::tempdir().unwrap();
    let env = aws_env(home.path(), &endpoint, Some("test"));
    let (_serve, port) = serve("s3://shop/sales/", home.path(), &env);
    let local = rfm_csv(LOCAL, &env).lines().count() - 1;
    // the prefix's file is table `transactions`; a relative quoted path resolves under it
    for sql in [
        "SELECT count(*) FROM rfm(transactions)",
        "SELECT count(*) FROM rfm('transactions.parquet')",
    ] {
        let out = psql(port, sql);
        assert_eq!(stdout(&out).trim(), local.to_string(), "{sql}");
    }
    for path in ["s3://shop/other.parquet", "../other.parquet", "/etc/passwd"] {
        let out = psql(port, &format!("SELECT count(*) FROM rfm('{path}')"));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            err.contains("is not under the served data location s3://shop/sales/"),
            "{path}: {err}"
        );
    }
}
