"""segql for Python: customer segmentation in plain SQL on datafusion-python.

    import segql
    ctx = segql.SessionContext()
    ctx.register_parquet("sales", "sales.parquet")
    df = ctx.sql("SELECT * FROM kmeans_fit(rfm(sales), 4, seed => 1, model => 'seg')")
    df.to_pandas()

``segql.SessionContext`` is a ``datafusion.SessionContext`` with segql's functions registered;
its ``sql`` sends queries that read from segql's table functions through segql's own planner
(nested calls, ``name => value`` options) and everything else to DataFusion unchanged. Results
are ordinary ``datafusion.DataFrame`` objects.

``segql.register(ctx)`` adds the functions to a plain ``datafusion.SessionContext``; there
DataFusion's own table-function path plans the calls, so only flat forms work:
``rfm(sales)``, ``kmeans_fit('rfm(sales)', 3)``, options by position are not available.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import html as _html
import uuid as _uuid
from pathlib import Path
from typing import Any

import datafusion
from datafusion import AggregateUDF, ScalarUDF
from datafusion.user_defined import TableFunction

from . import _segql

__all__ = ["SessionContext", "register", "report", "Report", "table_function_names"]
__version__ = _segql.__version__


def table_function_names() -> list[str]:
    """The names of segql's table functions (``rfm``, ``kmeans_fit``, ...)."""
    return list(_segql.table_function_names())


def register(ctx: datafusion.SessionContext, models: str | Path | None = None) -> None:
    """Register segql's functions on ``ctx``, a ``datafusion.SessionContext``.

    ``models`` is a directory that keeps fitted models across contexts and processes
    (created when missing); without it models live in memory as long as ``ctx``.
    """
    functions = _segql.Functions(None if models is None else str(models))
    for scalar in functions.scalar_functions():
        ctx.register_udf(ScalarUDF.udf(scalar))
    for aggregate in functions.aggregate_functions():
        ctx.register_udaf(AggregateUDF.udaf(aggregate))
    for name, table_function in functions.table_functions():
        ctx.register_udtf(TableFunction(name, table_function, ctx))


class SessionContext(datafusion.SessionContext):
    """A ``datafusion.SessionContext`` that speaks segql's SQL.

    ``models`` is a directory for fitted models (kept across contexts and processes); by
    default they live in memory for the life of the context.
    """

    def __init__(
        self,
        config: datafusion.SessionConfig | None = None,
        runtime: datafusion.RuntimeEnvBuilder | None = None,
        *,
        models: str | Path | None = None,
    ) -> None:
        super().__init__(config, runtime)
        register(self, models)

    @classmethod
    def attach(
        cls, ctx: datafusion.SessionContext, models: str | Path | None = None
    ) -> SessionContext:
        """A segql context on the session of an existing ``datafusion.SessionContext``:
        the same tables, and segql's functions registered on it."""
        obj = cls.__new__(cls)
        obj.ctx = ctx.ctx
        register(obj, models)
        return obj

    def sql(
        self,
        query: str,
        options: datafusion.SQLOptions | None = None,
        param_values: dict[str, Any] | None = None,
        **named_params: Any,
    ) -> datafusion.DataFrame:
        """A DataFrame of ``query``, planned by segql when it reads a segql table function.

        ``param_values`` and ``named_params`` fill ``$name`` placeholders as in
        ``datafusion.SessionContext.sql``.
        """
        if not _segql.uses_segql(query):
            return super().sql(query, options, param_values, **named_params)
        values = {name: _sql_literal(name, v) for name, v in (param_values or {}).items()}
        values.update({name: self._named_text(v) for name, v in named_params.items()})
        return super().sql(_segql.route(query, values), options)

    def _named_text(self, value: Any) -> str:
        """A named parameter as datafusion-python substitutes it: a DataFrame becomes the
        name of a table of its rows, anything else its text."""
        if isinstance(value, datafusion.DataFrame):
            # Its rows, not a view: a view's plan cannot cross to segql's planner.
            name = "segql_param_" + str(_uuid.uuid4()).replace("-", "_")
            self.from_arrow(value.to_arrow_table(), name=name)
            return name
        return str(value)


def _sql_literal(name: str, value: Any) -> str:
    """``value`` as a SQL literal, for a ``param_values`` placeholder in a segql query."""
    if hasattr(value, "as_py"):
        value = value.as_py()
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, _decimal.Decimal)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, _dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, _dt.date):
        return f"DATE '{value.isoformat()}'"
    raise TypeError(
        f"param_values[{name!r}]: segql queries take None, bool, int, float, Decimal, str, "
        f"date or datetime values, not {type(value).__name__}"
    )


class Report:
    """segql's HTML report of a segmentation: ``save(path)`` writes it, and Jupyter shows it
    inline (in an isolated frame, so its styles stay its own)."""

    def __init__(self, html: str) -> None:
        self.html = html

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (one self-contained file) and return the path."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return (
            '<iframe style="width:100%;height:900px;border:0" sandbox '
            f'srcdoc="{_html.escape(self.html, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<segql.Report, {len(self.html):,} characters of HTML>"


def report(
    ctx: datafusion.SessionContext,
    input: str = "rfm(sales)",
    k: int | str = "auto",
    *,
    ks: str | None = None,
    model: str | None = None,
    seed: int = 0,
    options: str = "",
) -> Report:
    """The segmentation of ``input`` as segql's report (the same page as ``segql report``).

    ``input`` is a relation as segql's functions take it (``'rfm(sales)'``, a table name, a
    quoted path); ``k`` a number or ``'auto'``; ``ks`` the candidate ks (``'2..10'``);
    ``model`` scores the input with a saved model instead of fitting; ``options`` more named
    options for the fit as SQL (``"transform => 'none'"``). ``ctx`` needs segql's functions
    (``segql.SessionContext`` or ``segql.register``).
    """
    texts = [input, str(k), ks or "", model or "", str(seed), options]
    args = ", ".join("'" + t.replace("'", "''") + "'" for t in texts)
    query = f"SELECT html FROM segql_report({args})"
    run = datafusion.SessionContext.sql(ctx, query)
    return Report(run.to_pydict()["html"][0])
