"""The sweep database: SQLite (stdlib, WAL), one row per point, one transaction per finished point.

Schema (docs/sweep.md): table ``points`` with fixed columns, one column per headline figure
(:data:`archsim.sweep.task.FIGURES`) and one column per axis, named by its dotted path.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from archsim.results import ChipResult, CosimResult, result_from_dict
from archsim.sweep.points import Point
from archsim.sweep.task import FIGURES

FIXED_COLUMNS = (
    ("sweep", "TEXT NOT NULL"),
    ("point_id", "TEXT NOT NULL"),
    ("point_index", "INTEGER"),
    ("command", "TEXT"),
    ("status", "TEXT NOT NULL"),
    ("error", "TEXT"),
    ("wall_seconds", "REAL"),
    ("started_at", "TEXT"),
    ("finished_at", "TEXT"),
    ("worker", "TEXT"),
    ("axes", "TEXT"),
    ("config", "TEXT"),
    ("result", "TEXT"),
)
FIGURE_TYPES = {"memory_fits": "INTEGER", "error_findings": "INTEGER", "peak_memory_bytes": "INTEGER"}
#: SQLite's application_id of a sweep database ("arch"): another program's database is refused.
APPLICATION_ID = 0x61726368


class StoreError(ValueError):
    """A file that cannot be a sweep database; the message names the file and what is wrong."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_value(value: Any) -> Any:
    """Numbers and strings as they are, booleans as 0/1, anything else as JSON text."""
    if value is None or isinstance(value, int | float | str):
        return value
    return json.dumps(value, sort_keys=True)


class SweepStore:
    """The results of one or more sweeps in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a folder, not a sweep database file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)  # explicit transactions below
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot open as an SQLite database ({err})") from None
        try:
            self._check_owner()
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            columns = [f"{name} {kind}" for name, kind in FIXED_COLUMNS]
            columns += [f"{f} {FIGURE_TYPES.get(f, 'REAL')}" for f in FIGURES]
            self.db.execute(
                f"CREATE TABLE IF NOT EXISTS points ({', '.join(columns)}, PRIMARY KEY (sweep, point_id))"
            )
            # A database of an older archsim lacks the figures added since (area, static power):
            # they are added empty, so its rows stay and its new points fill them.
            have = {row[1] for row in self.db.execute("PRAGMA table_info(points)")}
            for f in FIGURES:
                if f not in have:
                    self.db.execute(f"ALTER TABLE points ADD COLUMN {f} {FIGURE_TYPES.get(f, 'REAL')}")
            self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        except sqlite3.DatabaseError as err:
            self.db.close()
            raise StoreError(f"{self.path}: not a usable SQLite database ({err})") from None
        except BaseException:
            self.db.close()
            raise

    def _check_owner(self) -> None:
        """Refuse, before writing anything, a database that another program made: one marked with
        another application id, or with tables but no sweep table of ours."""
        app_id = self.db.execute("PRAGMA application_id").fetchone()[0]
        if app_id not in (0, APPLICATION_ID):
            raise StoreError(
                f"{self.path}: the SQLite database of another program (application id {app_id:#x}); "
                "give a new file or an archsim sweep database"
            )
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return
        have = {row[1] for row in self.db.execute("PRAGMA table_info(points)")}
        if not {name for name, _ in FIXED_COLUMNS} <= have:
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise StoreError(
                f"{self.path}: an SQLite database without archsim's sweep table (it holds: {shown}); "
                "give a new file or an archsim sweep database"
            )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def columns(self) -> list[str]:
        return [row[1] for row in self.db.execute("PRAGMA table_info(points)")]

    def ensure_axis_columns(self, names: list[str]) -> None:
        """One column per axis (its dotted path); added when a sweep file gains an axis."""
        have = set(self.columns())
        for name in names:
            if name not in have:
                self.db.execute(f"ALTER TABLE points ADD COLUMN {_quote(name)}")

    def sweeps(self) -> list[str]:
        """The names of the sweeps this database holds."""
        return [row[0] for row in self.db.execute("SELECT DISTINCT sweep FROM points ORDER BY sweep")]

    def done_ids(self, sweep: str) -> set[str]:
        rows = self.db.execute("SELECT point_id FROM points WHERE sweep = ? AND status = 'done'", (sweep,))
        return {row[0] for row in rows}

    def record(self, sweep: str, point: Point, outcome: dict[str, Any]) -> None:
        """Write one point's outcome (done or failed) in its own transaction. A finished (done) row
        is never replaced by a failed one: another run of the same sweep on this database may have
        finished the point while a worker of this run died on it."""
        figures = outcome.get("figures") or {}
        row: dict[str, Any] = {
            "sweep": sweep,
            "point_id": point.point_id,
            "point_index": point.index,
            "command": point.config.command.kind,
            "status": outcome["status"],
            "error": outcome.get("error"),
            "wall_seconds": outcome.get("wall_seconds"),
            "started_at": outcome.get("started_at"),
            "finished_at": outcome.get("finished_at"),
            "worker": outcome.get("worker"),
            "axes": json.dumps(point.axis_values, sort_keys=True),
            "config": json.dumps(point.config.model_dump(mode="json"), sort_keys=True),
            "result": None if outcome.get("result") is None else json.dumps(outcome["result"]),
        }
        row.update({f: _sql_value(figures.get(f)) for f in FIGURES})
        row.update({name: _sql_value(value) for name, value in point.axis_values.items()})
        names = ", ".join(_quote(k) for k in row)
        marks = ", ".join("?" for _ in row)
        updates = ", ".join(f"{_quote(k)} = excluded.{_quote(k)}" for k in row)
        with self.db:  # BEGIN ... COMMIT
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                f"INSERT INTO points ({names}) VALUES ({marks}) ON CONFLICT (sweep, point_id) DO UPDATE "
                f"SET {updates} WHERE points.status != 'done' OR excluded.status = 'done'",
                list(row.values()),
            )

    def rows(self, sweep: str) -> list[dict[str, Any]]:
        """Every row of a sweep, in point order, as dicts (JSON columns decoded)."""
        cur = self.db.execute("SELECT * FROM points WHERE sweep = ? ORDER BY point_index", (sweep,))
        names = [d[0] for d in cur.description]
        out = []
        for values in cur.fetchall():
            row = dict(zip(names, values, strict=True))
            for key in ("axes", "config", "result"):
                if row[key] is not None:
                    row[key] = json.loads(row[key])
            out.append(row)
        return out

    def result(self, sweep: str, point_id: str) -> ChipResult | CosimResult | None:
        """The typed result of a finished point (the results schema, its record included); None
        when the point has not finished. A stored result that does not fit the schema raises
        ResultError naming the point."""
        row = self.db.execute(
            "SELECT result FROM points WHERE sweep = ? AND point_id = ?", (sweep, point_id)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return result_from_dict(json.loads(row[0]), f"{self.path}: sweep {sweep}, point {point_id}")


#: Columns of the CSV export that are not the axes or the figures (the configuration and the
#: result stay in the database: JSON, not a table).
CSV_FIXED = ("sweep", "point_id", "point_index", "command", "status", "error", "wall_seconds",
             "started_at", "finished_at", "worker")  # fmt: skip


def rows_csv(rows: list[dict[str, Any]]) -> str:
    """Rows of :meth:`SweepStore.rows` as CSV: one line per point, the fixed columns, one column per
    axis (its dotted path, the option's label) and one per headline figure (:data:`FIGURES`)."""
    axes = list(dict.fromkeys(name for row in rows for name in (row["axes"] or {})))
    columns = [*CSV_FIXED, *axes, *FIGURES]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values = {**row, **(row["axes"] or {})}
        writer.writerow(["" if values.get(c) is None else _sql_value(values.get(c)) for c in columns])
    return buffer.getvalue()
