"""Running a sweep on Dask distributed: a local cluster by default, or an existing scheduler.

Each point is one task (:func:`archsim.sweep.task.run_point`); the client writes every outcome to
the database as its future completes, one transaction per point, so nothing finished is lost when
a worker or the client dies. Points already done (same sweep, same point id) are not submitted.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from archsim.sweep.points import Sweep
from archsim.sweep.store import SweepStore
from archsim.sweep.task import run_point


@dataclass
class SweepSummary:
    """What one run of a sweep did."""

    points: int  # in the sweep
    skipped: int  # already done in the database
    submitted: int  # tasks sent to the cluster
    done: int
    failed: int
    db: Path


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2) -> Iterator:
    """A Dask client: on ``scheduler`` (an address such as tcp://host:8786), or on a local cluster of
    ``workers`` single-threaded processes started here and stopped at the end."""
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def run_sweep(
    sweep: Sweep,
    db: Path,
    client,
    on_start: Callable[[int, int], None] | None = None,
    on_point: Callable[[dict], None] | None = None,
) -> SweepSummary:
    """Run the points of ``sweep`` not yet done in ``db`` on ``client``'s cluster.

    ``on_start(to_run, skipped)`` is called once before submitting; ``on_point(outcome)`` after
    each point is recorded (the CLI's progress bar)."""
    from dask.distributed import as_completed

    with SweepStore(db) as store:
        store.ensure_axis_columns([a.name for a in sweep.axes])
        done = store.done_ids(sweep.name)
        todo = [p for p in sweep.points if p.point_id not in done]
        if on_start is not None:
            on_start(len(todo), len(sweep.points) - len(todo))
        by_key = {}
        run_tag = uuid.uuid4().hex[:8]
        futures = []
        for point in todo:
            # A fresh key per run: a key cancelled by an interrupted run may linger on the scheduler.
            key = f"archsim-sweep-{sweep.name}-{point.point_id}-{run_tag}"
            future = client.submit(run_point, point.payload(), key=key, pure=False)
            by_key[future.key] = point
            futures.append(future)
        counts = {"done": 0, "failed": 0}
        running = {f.key: f for f in futures}
        try:
            for future in as_completed(futures):
                point = by_key[future.key]
                del running[future.key]
                try:
                    outcome = future.result()
                except Exception as err:  # the task itself died (e.g. KilledWorker): record, go on
                    outcome = {"status": "failed", "error": f"{type(err).__name__}: {err}", "figures": {}}
                finally:
                    future.release()
                store.record(sweep.name, point, outcome)
                counts[outcome["status"]] += 1
                if on_point is not None:
                    on_point(outcome)
        except BaseException:
            # Interrupted (Ctrl-C, a callback): do not leave our tasks running on a shared scheduler.
            client.cancel(list(running.values()))
            raise
    return SweepSummary(len(sweep.points), len(sweep.points) - len(todo), len(todo), counts["done"],
                        counts["failed"], Path(db))  # fmt: skip
