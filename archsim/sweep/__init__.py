"""Design-space sweeps: a sweep file's points (grid or random, over any configuration field by
dotted path), run as Dask tasks, recorded in SQLite, reported as a Pareto front and plots.

``load_sweep(path)`` validates every point; ``run_sweep(sweep, db, client)`` runs the points not
done yet; ``write_report(db, sweep_name, out)`` writes the HTML report.
"""

from archsim.sweep.engine import SweepSummary, dask_client, run_sweep
from archsim.sweep.points import Axis, Point, Sweep, load_sweep, point_id
from archsim.sweep.spec import CosimCommand, PointConfig, SimulateCommand, SweepFile
from archsim.sweep.store import SweepStore

__all__ = [
    "Axis",
    "CosimCommand",
    "Point",
    "PointConfig",
    "SimulateCommand",
    "Sweep",
    "SweepFile",
    "SweepStore",
    "SweepSummary",
    "dask_client",
    "load_sweep",
    "point_id",
    "run_sweep",
]
