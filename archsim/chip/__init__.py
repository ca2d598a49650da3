"""The timing half of archsim: a SimPy model of a pipelined RPU training chip (TIMING.md).

Pure steps first (costs, mapping, the window graph), then the units and the schedules, then the
pure reductions of the records to results (``reduce``) and the trace (``trace``):
``simulate(workload, design).result()``, ``.trace()`` (a design: a chip and its RPU preset).
"""

from archsim.chip.graph import build_window_graph, critical_path, operation_counts
from archsim.chip.mapping import Mapping, MappingError, map_workload
from archsim.chip.schedule import SCHEDULES, ArrayOp, ArrayOpHook, Scheduler
from archsim.chip.simulation import ChipRun, simulate
from archsim.results import ChipResult, Finding

__all__ = [
    "SCHEDULES",
    "ArrayOp",
    "ArrayOpHook",
    "ChipResult",
    "ChipRun",
    "Finding",
    "Mapping",
    "MappingError",
    "Scheduler",
    "build_window_graph",
    "critical_path",
    "map_workload",
    "operation_counts",
    "simulate",
]
