//! Every fix segql suggests works when pasted: each case runs a statement that fails, takes the
//! option the error suggests (`..., e.g. time => 'to_timestamp(InvoiceDate, ''%m/%d/%Y %H:%M'')'`),
//! writes it into the same statement and runs that on the same data.

use datafusion::error::Result;
use datafusion::prelude::{CsvReadOptions, SessionContext};

/// A statement with `{fix}` where the suggested option goes, and tables it needs.
struct Case {
    what: &'static str,
    setup: &'static [&'static str],
    sql: &'static str,
}

const CASES: &[Case] = &[
    Case {
        what: "text dates of the classic Online Retail export",
        setup: &[],
        sql: "SELECT * FROM rfm(classic{fix})",
    },
    Case {
        what: "day-first text dates in a column whose name needs quotes",
        setup: &[
            "CREATE TABLE eu AS SELECT * FROM (VALUES (1, '13/01/2011', 5.0), \
                  (1, '02/02/2011', 2.0), (2, '28/02/2011', 1.0)) AS t(\"Customer No\", \"Sale Date\", amount)",
        ],
        sql: "SELECT * FROM rfm(eu, customer => 'Customer No', time => 'Sale Date'{fix})",
    },
    Case {
        what: "epoch seconds as the time",
        setup: &[
            "CREATE TABLE epoch AS SELECT * FROM (VALUES (1, 1293840000, 5.0), \
                  (2, 1293926400, 7.5)) AS t(customer_id, ts, amount)",
        ],
        sql: "SELECT * FROM rfm(epoch{fix})",
    },
    Case {
        what: "amounts stored as text",
        setup: &[
            "CREATE TABLE textual AS SELECT * FROM (VALUES (1, '2011-01-01', '12.50'), \
                  (2, '2011-01-02', '3')) AS t(customer_id, invoice_date, amount)",
        ],
        sql: "SELECT * FROM rfm(textual{fix})",
    },
    Case {
        what: "two columns that both look like the customer",
        setup: &[
            "CREATE TABLE twokeys AS SELECT * FROM (VALUES (1, 10, '2011-01-01', 5.0)) \
                  AS t(customer_id, \"CustomerID\", invoice_date, amount)",
        ],
        sql: "SELECT * FROM rfm(twokeys{fix})",
    },
    Case {
        what: "an expression naming a column that exists in two cases",
        setup: &[
            "CREATE TABLE cased AS SELECT * FROM (VALUES (1, '2011-01-01', 2.0, 3.0)) \
                  AS t(customer_id, invoice_date, price, \"Price\")",
        ],
        sql: "SELECT * FROM rfm(cased, amount => 'PRICE * 2'{fix})",
    },
    Case {
        what: "a NULL feature",
        setup: &[
            "CREATE TABLE pts AS SELECT * FROM (VALUES (1, 1.0, 2.0), (2, NULL, 3.0), \
                  (3, 5.0, 6.0), (4, 6.0, 5.0)) AS t(id, x, y)",
        ],
        sql: "SELECT * FROM kmeans_fit(pts, 2, nulls => 'error'{fix})",
    },
    Case {
        what: "a text feature",
        setup: &[
            "CREATE TABLE named AS SELECT * FROM (VALUES (1, 1.0, 2.0, 'a'), \
                  (2, 2.0, 3.0, 'b'), (3, 5.0, 6.0, 'c')) AS t(id, x, y, name)",
        ],
        sql: "SELECT * FROM kmeans_fit(named, 2, features => 'x, name'{fix})",
    },
    Case {
        what: "a feature named in the wrong case among two spellings",
        setup: &[
            "CREATE TABLE twice AS SELECT * FROM (VALUES (1.0, 2.0), (2.0, 3.0), \
                  (5.0, 6.0)) AS t(size, \"Size\")",
        ],
        sql: "SELECT * FROM kmeans_fit(twice, 2, features => 'SIZE'{fix})",
    },
];

async fn context() -> Result<SessionContext> {
    let ctx = SessionContext::new();
    segql::register_all(&ctx)?;
    ctx.register_csv(
        "classic",
        "tests/fixtures/online_retail/classic.csv",
        CsvReadOptions::new(),
    )
    .await?;
    Ok(ctx)
}

/// The option the message suggests: its last `name => '...'`, quotes kept as written (an
/// earlier one may be the option as the user gave it).
fn suggested_option(message: &str) -> Option<String> {
    let mut found = None;
    let mut from = 0;
    while let Some(at) = message[from..].find(" => '") {
        let arrow = from + at;
        let start = message[..arrow]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let Some(end) = string_end(message, arrow + " => '".len()) else {
            break;
        };
        if start < arrow {
            found = Some(message[start..=end].to_string());
        }
        from = end + 1;
    }
    found
}

/// The index of the quote closing the SQL string whose text starts at `from`.
fn string_end(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// `sql` with `option` in place of the same-named option it has, or added at `{fix}`.
fn with_option(sql: &str, option: &str) -> String {
    let name = &option[..option.find(" => ").unwrap()];
    let given = format!("{name} => '");
    match sql.find(&given) {
        Some(start) => {
            let end = string_end(sql, start + given.len()).unwrap();
            format!("{}{option}{}", &sql[..start], &sql[end + 1..]).replace("{fix}", "")
        }
        None => sql.replace("{fix}", &format!(", {option}")),
    }
}

async fn run(ctx: &SessionContext, sql: &str) -> Result<usize> {
    let batches = ctx.sql(sql).await?.collect().await?;
    Ok(batches.iter().map(|b| b.num_rows()).sum())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_suggested_fix_runs_on_the_same_data() -> Result<()> {
    for case in CASES {
        let ctx = context().await?;
        for statement in case.setup {
            ctx.sql(statement).await?.collect().await?;
        }
        let failing = case.sql.replace("{fix}", "");
        let message = match run(&ctx, &failing).await {
            Ok(_) => panic!("{}: expected an error from {failing}", case.what),
            Err(e) => e.to_string(),
        };
        let option = suggested_option(&message)
            .unwrap_or_else(|| panic!("{}: no suggested option in: {message}", case.what));
        let fixed = with_option(case.sql, &option);
        match run(&ctx, &fixed).await {
            Ok(rows) => assert!(rows > 0, "{}: {fixed} returned no rows", case.what),
            Err(e) => panic!(
                "{}: the suggested fix fails\n  error: {message}\n  pasted: {fixed}\n  gives: {e}",
                case.what
            ),
        }
    }
    Ok(())
}

#[test]
fn suggestions_are_read_with_their_doubled_quotes() {
    let message = "rfm: ... e.g. time => 'to_timestamp(d, ''%m/%d/%Y'')' and more";
    assert_eq!(
        suggested_option(message).as_deref(),
        Some("time => 'to_timestamp(d, ''%m/%d/%Y'')'")
    );
    assert_eq!(suggested_option("no hint here"), None);
    assert_eq!(
        with_option("f(t, a => 'x''y', b => '1'{fix})", "a => 'z'"),
        "f(t, a => 'z', b => '1')"
    );
    assert_eq!(with_option("f(t{fix})", "a => 'z'"), "f(t, a => 'z')");
}
