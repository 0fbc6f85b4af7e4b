//! "As PostgreSQL would": the catalog answers of `segql serve` next to those of Debian's
//! PostgreSQL server, started on loopback with a `sales` table of the demo table's shape
//! (tests/server/postgres.sh). The same JDBC, SQLAlchemy 1.4 and psql calls run against
//! both; result columns must agree in name and type, and where neither catalog has keys or
//! indexes, both answers must be empty.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use super::{PASSWORD, USER, manifest, ok, psql, run_in_superset_venv, start};

/// A PostgreSQL server for one test, stopped when dropped.
struct Postgres {
    dir: tempfile::TempDir,
    port: u16,
}

impl Postgres {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let output = Command::new("bash")
            .arg(manifest().join("tests/server/postgres.sh"))
            .arg("start")
            .arg(dir.path())
            .arg(port.to_string())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "PostgreSQL did not start (scripts/test-deps.sh installs it):\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Postgres { dir, port }
    }

    fn psql(&self, command: &str) -> String {
        let output = Command::new("psql")
            .arg(format!(
                "host=127.0.0.1 port={} user=segql dbname=datafusion sslmode=disable",
                self.port
            ))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{command} on PostgreSQL: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(manifest().join("tests/server/postgres.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}

/// The DatabaseMetaData calls compared, and whether both answers must be empty (no keys,
/// indexes or procedures in either catalog).
const JDBC_CALLS: &[(&str, bool)] = &[
    ("getCatalogs", false),
    ("getSchemas", false),
    ("getTableTypes", false),
    ("getTables", false),
    ("getColumns", false),
    ("getPrimaryKeys", true),
    ("getIndexInfo", true),
    ("getImportedKeys", true),
    ("getExportedKeys", true),
    ("getTypeInfo", false),
    ("getFunctions", false),
    ("getProcedures", true),
    ("getTablePrivileges", false),
];

/// One call's answer: its row count and its columns as (label, type family).
#[derive(Debug, PartialEq)]
struct Answer {
    rows: usize,
    columns: Vec<(String, String)>,
}

/// Postgres types that differ only in width or in being Postgres's internal identifier type
/// (`name`, which segql reports as `text`) fall in one family.
fn type_family(pg_type: &str) -> &str {
    match pg_type {
        "name" | "text" | "varchar" | "bpchar" => "text",
        "int2" | "int4" | "int8" => "integer",
        "float4" | "float8" => "float",
        other => other,
    }
}

fn jdbc_answers(port: u16, user: &str, password: &str) -> Vec<(String, Answer)> {
    let output = Command::new("java")
        .args(["-cp", "/usr/share/java/postgresql.jar"])
        .arg(manifest().join("tests/server/JdbcMetadata.java"))
        .args(["127.0.0.1", &port.to_string(), user, password])
        .args(JDBC_CALLS.iter().map(|(call, _)| *call))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "JDBC on port {port}:\n{out}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out.lines().map(parse_jdbc_line).collect()
}

/// `getTables rows=1 columns=[TABLE_CAT:text, ...] names=...`
fn parse_jdbc_line(line: &str) -> (String, Answer) {
    let (call, rest) = line.split_once(" rows=").unwrap();
    let (rows, rest) = rest.split_once(" columns=[").unwrap();
    let columns = rest.split(']').next().unwrap();
    let columns = columns
        .split(", ")
        .map(|c| {
            let (label, pg_type) = c.rsplit_once(':').unwrap();
            (label.to_string(), type_family(pg_type).to_string())
        })
        .collect();
    let rows = rows.parse().unwrap();
    (call.to_string(), Answer { rows, columns })
}

#[test]
fn jdbc_metadata_matches_postgresql() {
    assert!(
        Path::new("/usr/share/java/postgresql.jar").exists(),
        "run `bash scripts/test-deps.sh` (it installs libpostgresql-jdbc-java)"
    );
    let postgres = Postgres::start();
    let server = start(&[]);
    let theirs = jdbc_answers(postgres.port, "segql", "unused: logins are trusted");
    let ours = jdbc_answers(server.port, USER, PASSWORD);
    assert_eq!(ours.len(), JDBC_CALLS.len(), "{ours:?}");
    for ((call, must_be_empty), ((_, segql), (_, pg))) in
        JDBC_CALLS.iter().zip(ours.iter().zip(theirs.iter()))
    {
        assert_eq!(
            segql.columns, pg.columns,
            "{call}: columns differ from PostgreSQL's"
        );
        if *must_be_empty {
            assert_eq!((segql.rows, pg.rows), (0, 0), "{call}: both have no rows");
        }
    }
}

#[test]
fn sqlalchemy_1_4_matches_postgresql() {
    let postgres = Postgres::start();
    let server = start(&[]);
    let segql_url = format!(
        "postgresql+psycopg2://{USER}:{}@127.0.0.1:{}/datafusion?sslmode=disable",
        PASSWORD.replace(' ', "%20").replace(':', "%3A"),
        server.port
    );
    let postgres_url = format!(
        "postgresql+psycopg2://segql@127.0.0.1:{}/datafusion?sslmode=disable",
        postgres.port
    );
    run_in_superset_venv(
        &server,
        "compare_sqlalchemy14.py",
        &[&segql_url, &postgres_url],
    );
}

/// The header row of each result table psql prints (the line before the `---+---` rule).
fn headers(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[1].starts_with('-') && w[1].contains('+'))
        .map(|w| w[0].split('|').map(str::trim).collect::<Vec<_>>().join("|"))
        .collect()
}

#[test]
fn psql_describe_matches_postgresql() {
    let postgres = Postgres::start();
    let server = start(&[]);
    // The column tables must be the same; psql's footer differs only in naming PostgreSQL's
    // storage (`Access method: heap`), which segql's tables do not have.
    for command in ["\\d sales", "\\d+ sales"] {
        let ours = ok(&psql(&server, PASSWORD, &["-c", command]), &server);
        let theirs = postgres.psql(command);
        let table = |text: &str| {
            text.lines()
                .filter(|l| l.contains('|') || l.contains("-+-"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(table(&ours), table(&theirs), "{command}");
        assert!(ours.contains("CustomerID  | bigint"), "{ours}");
    }
    for command in ["\\dt", "\\dn", "\\du", "\\l", "\\df", "\\dv", "\\di"] {
        let ours = ok(&psql(&server, PASSWORD, &["-c", command]), &server);
        let theirs = postgres.psql(command);
        assert_eq!(
            headers(&ours),
            headers(&theirs),
            "{command}:\n{ours}\n{theirs}"
        );
    }
}
