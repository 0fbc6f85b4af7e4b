"""segql's errors reach Python as DataFusion's exceptions, their text intact."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

import segql

SALES = {
    "customer_id": ["A", "B"],
    "invoice_date": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 5)],
    "amount": [10.0, 5.0],
}


def context() -> segql.SessionContext:
    ctx = segql.SessionContext()
    ctx.from_pydict(SALES, name="sales")
    return ctx


def test_an_unknown_option_names_itself_and_the_accepted_ones() -> None:
    with pytest.raises(Exception) as caught:
        context().sql("SELECT * FROM kmeans_fit(rfm(sales), 2, sede => 1)").collect()
    text = str(caught.value)
    assert "sede" in text
    assert "seed" in text


def test_an_unknown_model_names_the_model() -> None:
    with pytest.raises(Exception, match="nope"):
        context().sql("SELECT * FROM assign_segment('nope', rfm(sales))").collect()


def test_an_unknown_table_names_the_table() -> None:
    with pytest.raises(Exception, match="no_such_table"):
        context().sql("SELECT * FROM rfm(no_such_table)").collect()


def test_the_message_is_the_one_the_segql_binary_prints(segql_binary, tmp_path) -> None:
    """The same bad call from Python and from the shell: one message, DataFusion's kind."""
    query = "SELECT * FROM kmeans_fit(rfm(sales), 2, n_init => 0)"
    with pytest.raises(ValueError) as caught:
        context().sql(query).collect()
    csv = tmp_path / "sales.csv"
    csv.write_text("customer_id,invoice_date,amount\nA,2024-01-01,10\nB,2024-01-05,5\n")
    run = subprocess.run(
        [str(segql_binary), str(csv), "--quiet", "--models", str(tmp_path / "m"), "-c", query],
        capture_output=True, text=True,
    )
    assert run.returncode != 0
    # the shell's one-line error, minus its prefix, is inside Python's exception text
    shell_line = next(line for line in run.stderr.splitlines() if "n_init" in line)
    message = shell_line.split("n_init", 1)[1]
    assert "n_init" + message in str(caught.value)
    # datafusion-ffi prefixes the errors that cross it; the kind and the text follow unchanged
    assert str(caught.value).startswith("FFI error: Error during planning: kmeans_fit: ")


def test_bad_param_values_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"param_values\['when'\]"):
        context().sql("SELECT * FROM rfm(sales) WHERE $when", param_values={"when": object()})


def test_a_model_directory_that_cannot_be_made_is_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ValueError, match="models: cannot use"):
        segql.SessionContext(models=blocker / "models")
