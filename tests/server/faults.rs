//! The server under faults and load, driven over raw sockets speaking the Postgres protocol
//! (so a test can send what no driver would): garbage and truncated messages after a valid
//! login, huge length fields, clients that never finish logging in, a burst of 200
//! connections against 64 slots, and a client that stops reading a large result.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use super::{Server, start_in, workspace};

/// A client speaking the protocol by hand.
pub(crate) struct Raw {
    socket: TcpStream,
}

/// An error response: SQLSTATE and message.
#[derive(Debug)]
pub(crate) struct PgError {
    pub code: String,
    pub message: String,
}

fn error_of(body: &[u8]) -> PgError {
    let mut error = PgError {
        code: String::new(),
        message: String::new(),
    };
    let mut fields = body.split(|&b| b == 0);
    while let Some(field) = fields.next().filter(|f| !f.is_empty()) {
        let text = String::from_utf8_lossy(&field[1..]).into_owned();
        match field[0] {
            b'C' => error.code = text,
            b'M' => error.message = text,
            _ => {}
        }
    }
    error
}

impl Raw {
    pub(crate) fn connect(port: u16) -> Self {
        let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Self { socket }
    }

    /// Connect and log in (a server with no users: no password); the error if refused.
    pub(crate) fn login(port: u16) -> Result<Self, PgError> {
        let mut raw = Self::connect(port);
        let mut body = 196_608u32.to_be_bytes().to_vec(); // protocol 3.0
        for part in ["user", "analyst", "database", "segql", ""] {
            body.extend_from_slice(part.as_bytes());
            body.push(0);
        }
        let mut packet = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        packet.extend_from_slice(&body);
        raw.socket.write_all(&packet).unwrap();
        loop {
            match raw.message() {
                Some((b'Z', _)) => return Ok(raw),
                Some((b'E', body)) => return Err(error_of(&body)),
                Some(_) => {}
                None => {
                    return Err(PgError {
                        code: "closed".into(),
                        message: "the server closed the connection".into(),
                    });
                }
            }
        }
    }

    /// The next message's type and body; `None` when the server closed the connection.
    pub(crate) fn message(&mut self) -> Option<(u8, Vec<u8>)> {
        let mut head = [0u8; 5];
        self.socket.read_exact(&mut head).ok()?;
        let len = u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
        let mut body = vec![0u8; len.saturating_sub(4)];
        self.socket.read_exact(&mut body).ok()?;
        Some((head[0], body))
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.socket.write_all(bytes)
    }

    /// Send a simple query without reading the answer.
    pub(crate) fn send_query(&mut self, sql: &str) {
        let mut packet = vec![b'Q'];
        packet.extend_from_slice(&((sql.len() + 5) as u32).to_be_bytes());
        packet.extend_from_slice(sql.as_bytes());
        packet.push(0);
        self.send(&packet).unwrap();
    }

    /// A simple query's rows, as text, or its error.
    pub(crate) fn query(&mut self, sql: &str) -> Result<Vec<Vec<String>>, PgError> {
        self.send_query(sql);
        let (mut rows, mut error) = (vec![], None);
        loop {
            match self.message() {
                Some((b'Z', _)) => break,
                Some((b'E', body)) => error = Some(error_of(&body)),
                Some((b'D', body)) => rows.push(data_row(&body)),
                Some(_) => {}
                None => panic!("the server closed the connection during {sql}"),
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(rows),
        }
    }

    /// Read until the server closes the connection; how long that took, or `None` if it did
    /// not close within the read timeout.
    pub(crate) fn until_closed(&mut self) -> Option<Duration> {
        let started = Instant::now();
        let mut sink = [0u8; 65536];
        loop {
            match self.socket.read(&mut sink) {
                Ok(0) => return Some(started.elapsed()),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return Some(started.elapsed());
                }
                Err(_) => return None,
            }
        }
    }
}

fn data_row(body: &[u8]) -> Vec<String> {
    let columns = u16::from_be_bytes([body[0], body[1]]) as usize;
    let mut at = 2;
    let mut row = Vec::with_capacity(columns);
    for _ in 0..columns {
        let len = i32::from_be_bytes(body[at..at + 4].try_into().unwrap());
        at += 4;
        if len < 0 {
            row.push("NULL".to_string());
        } else {
            row.push(String::from_utf8_lossy(&body[at..at + len as usize]).into_owned());
            at += len as usize;
        }
    }
    row
}

/// A server with no users (open on loopback, so raw clients log in without SCRAM).
pub(crate) fn open_server(extra: &[&str]) -> Server {
    start_in(workspace(), extra)
}

/// The server still answers a new client, and its process is alive.
fn still_serving(server: &mut Server) {
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server exited:\n{}",
        server.log()
    );
    let mut client = Raw::login(server.port).expect("a new client logs in");
    assert_eq!(client.query("SELECT 41 + 1").unwrap(), [["42"]]);
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn garbage_after_login_closes_that_connection_only() {
    let mut server = open_server(&[]);
    let mut witness = Raw::login(server.port).unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect()
    };
    let faults: Vec<(&str, Vec<u8>)> = vec![
        ("random bytes", random(4096)),
        ("more random bytes", random(100_000)),
        ("a length under 4", vec![b'Q', 0, 0, 0, 2]),
        (
            "a negative length",
            vec![b'Q', 0xff, 0xff, 0xff, 0xf0, b'x'],
        ),
        (
            "a length over the limit",
            vec![b'Q', 0x7f, 0xff, 0xff, 0xff, b'S'],
        ),
        ("an unknown message type", vec![b'y', 0, 0, 0, 4]),
        ("a query without its terminator", {
            let mut m = vec![b'Q', 0, 0, 0, 12];
            m.extend_from_slice(b"SELECT 1");
            m
        }),
        ("a parse of garbage", {
            let mut m = vec![b'P', 0, 0, 0, 20];
            m.extend_from_slice(&random(16));
            m
        }),
        ("a bind to no statement", {
            let mut m = vec![b'B', 0, 0, 0, 14];
            m.extend_from_slice(b"\0nothing\0\0\0\0\0");
            m
        }),
    ];
    for (what, bytes) in &faults {
        let mut client = Raw::login(server.port).unwrap();
        // a write may fail once the server has closed on the first bad bytes
        let _ = client.send(bytes);
        let _ = client.socket.shutdown(std::net::Shutdown::Write);
        assert!(
            client.until_closed().is_some(),
            "{what}: the server kept the connection open"
        );
        still_serving(&mut server);
        assert_eq!(
            witness.query("SELECT 1").unwrap(),
            [["1"]],
            "{what}: another client's connection was disturbed"
        );
    }
    // a message that announces a huge body and stops: the connection waits for the rest (as
    // PostgreSQL does) without reserving it, and goes when the client goes
    let before = rss_kib(server.child.id());
    let mut stalled = Raw::login(server.port).unwrap();
    stalled.send(&[b'Q', 0x3f, 0xff, 0xff, 0x00, b'S']).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let during = rss_kib(server.child.id());
    assert!(
        during < before + 64 * 1024,
        "RSS {before} kB -> {during} kB on a 1 GB length field"
    );
    drop(stalled);
    still_serving(&mut server);
}

#[test]
fn clients_that_never_log_in_are_dropped_and_free_their_slots() {
    let mut server = open_server(&["--max-connections", "2", "--startup-timeout", "1s"]);
    let mut idle: Vec<Raw> = (0..2).map(|_| Raw::connect(server.port)).collect();
    std::thread::sleep(Duration::from_millis(200));
    // both slots are held by clients that said nothing
    let refused = Raw::login(server.port).err().expect("no slot is free");
    assert_eq!(refused.code, "53300", "{refused:?}");
    for client in &mut idle {
        let closed = client
            .until_closed()
            .expect("an idle client is disconnected");
        assert!(closed < Duration::from_secs(5), "after {closed:?}");
    }
    std::thread::sleep(Duration::from_millis(200));
    still_serving(&mut server);
    assert!(
        server.log().contains("not logged in within 1 s"),
        "{}",
        server.log()
    );
    // a client that logs in in time is not cut off later
    let mut on_time = Raw::login(server.port).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(on_time.query("SELECT 2").unwrap(), [["2"]]);
}

#[test]
fn a_burst_of_200_connections_against_64_slots() {
    let mut server = open_server(&["--max-connections", "64"]);
    let port = server.port;
    let everyone = Arc::new(Barrier::new(200));
    let clients: Vec<_> = (0..200)
        .map(|_| {
            let everyone = Arc::clone(&everyone);
            std::thread::spawn(move || {
                let outcome = Raw::login(port).map(|mut client| {
                    let answer = client.query("SELECT count(*) FROM orders");
                    (client, answer)
                });
                // hold every admitted connection until all 200 have their answer
                everyone.wait();
                match outcome {
                    Ok((_, Ok(rows))) => Ok(rows[0][0].clone()),
                    Ok((_, Err(e))) => Err(format!("query failed: {e:?}")),
                    Err(e) => Err(e.code),
                }
            })
        })
        .collect();
    let outcomes: Vec<Result<String, String>> =
        clients.into_iter().map(|c| c.join().unwrap()).collect();
    let admitted = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused = outcomes
        .iter()
        .filter(|o| o.as_ref().err().is_some_and(|code| code == "53300"))
        .count();
    assert_eq!(
        (admitted, refused),
        (64, 136),
        "{:?}",
        outcomes.iter().filter(|o| o.is_err()).collect::<Vec<_>>()
    );
    let counts: std::collections::BTreeSet<_> = outcomes.iter().flatten().collect();
    assert_eq!(
        counts.len(),
        1,
        "every admitted client saw the same table: {counts:?}"
    );
    std::thread::sleep(Duration::from_millis(300));
    still_serving(&mut server);
}

#[test]
fn a_client_that_stops_reading_blocks_no_one_and_holds_little_memory() {
    let mut server = open_server(&[]);
    let pid = server.child.id();
    let mut warm = Raw::login(server.port).unwrap();
    warm.query("SELECT count(*) FROM demo_transactions(rows => 100000)")
        .unwrap();
    let before = rss_kib(pid);
    // about 450 MB of result text that the client never reads, from a source that streams
    // (a demo table would be materialised in memory and measure itself, not the unread result)
    let mut stuck = Raw::login(server.port).unwrap();
    stuck.send_query("SELECT value, repeat('x', 80) AS padding FROM generate_series(1, 5000000)");
    // the rows are really flowing: read the first thousand, then stop reading
    let mut rows_read = 0;
    while rows_read < 1000 {
        match stuck.message() {
            Some((b'D', _)) => rows_read += 1,
            Some((b'T', _)) => {}
            other => panic!("expected rows of the big result, got {other:?}"),
        }
    }
    std::thread::sleep(Duration::from_secs(3));
    let mut other = Raw::login(server.port).unwrap();
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(other.query("SELECT count(*) FROM orders").unwrap().len(), 1);
    }
    let others_took = started.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    let during = rss_kib(pid);
    assert!(
        others_took < Duration::from_secs(10),
        "20 small queries took {others_took:?} beside the stuck client"
    );
    assert!(
        during < before + 150 * 1024,
        "RSS {before} kB -> {during} kB with a 450 MB result unread"
    );
    drop(stuck);
    still_serving(&mut server);
    eprintln!(
        "slow reader: RSS {before} kB -> {during} kB; 20 queries beside it in {others_took:?}"
    );
}

#[test]
fn a_fit_over_the_per_query_memory_limit_fails_and_the_server_stays_up() {
    let mut server = open_server(&["--memory-limit", "8MiB"]);
    let pid = server.child.id();
    let before = rss_kib(pid);
    let mut client = Raw::login(server.port).unwrap();
    let error = client
        .query(
            "SELECT * FROM kmeans_fit((SELECT CAST(value % 1000 AS DOUBLE) AS x, \
             CAST(value % 977 AS DOUBLE) AS y FROM generate_series(1, 3000000)), 3)",
        )
        .unwrap_err();
    assert!(
        error.message.contains(
            "kmeans_fit: the fit keeps its input's rows in memory, and they pass the memory limit of 8.0 MiB"
        ),
        "{error:?}"
    );
    // 3,000,000 rows of two features would be 144 MB with the fit's copies
    assert!(rss_kib(pid) < before + 100 * 1024);
    assert_eq!(client.query("SELECT 1").unwrap(), [["1"]]);
    still_serving(&mut server);
}
