"""The lean event engine: the scheduler's SimPy processes, replayed without SimPy's objects.

The chip model is defined by its SimPy processes (:meth:`archsim.chip.schedule.Scheduler._operate`:
one process per timed operation that requests its unit, a ``simpy.PriorityResource``, holds it for
the operation's cycles and releases it). Those processes use a small, fixed part of SimPy, and
this module executes exactly that part with one heap of plain tuples: no generator, event or
request object per operation, and about a third of the time per simulated window
(docs/performance.md). It is the default engine (``engine="lean"``); ``engine="simpy"`` runs the
processes themselves, and
``tests/chip/test_chip_engine.py`` checks that both give the same records, cycle for cycle,
the same event counts and the same figures.

What is reproduced, from SimPy 4.1's source (``simpy/core.py``, ``events.py``,
``resources/base.py``, ``resources/resource.py``):

- **Event order.** Events are processed in the order (time, priority, id): ``URGENT`` (0) before
  ``NORMAL`` (1) at the same time, then by the order in which they were scheduled. A new process
  starts with an ``URGENT`` initialisation event at the current time; every other event here is
  ``NORMAL``. Ids here are the count of events scheduled, so every event SimPy would schedule is
  counted (``scheduled_events``, as :class:`archsim.chip.chip.CountingEnvironment` counts them),
  including those that change nothing when processed (a process's end, the release of a unit
  nobody waits for); only events with an effect enter the heap.
- **A unit** (``PriorityResource``, capacity 1): a request is queued by the key (priority,
  request time), ties in request order; the head of the queue is granted when the unit is free at
  a *trigger*: the creation of a request, or the processing of a release event. A grant schedules
  the request's event; the process resumes (and the operation starts) when that is processed. A
  release frees the unit at once and schedules a release event; that event grants the next
  request when processed, unless a request made in between was already granted.
- **One process per operation**, in :meth:`Scheduler._operate`'s order: at its start (the
  sequential schedule: once it holds the chip-wide token) the hook answers for an array operation,
  the unit's ``account_*`` gives the cycles (and changes the unit's state), the unit is requested;
  granted, it is held for the cycles; then the unit is released, the token (if any) after it, and
  the operation's completion is propagated, which may start further processes; the process's own
  end is an event that changes nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush

URGENT = 0
NORMAL = 1


class _Stop(Exception):
    """Raised by the run's stop event when it is processed."""


class LeanEvent:
    """An event that only the stop of a run uses: ``succeed()`` schedules it; processed, it ends
    :meth:`LeanEnvironment.run`."""

    __slots__ = ("env", "triggered")

    def __init__(self, env: LeanEnvironment) -> None:
        self.env = env
        self.triggered = False

    def succeed(self) -> None:
        self.triggered = True
        self.env.schedule(_stop, None)


def _stop(_) -> None:
    raise _Stop


class LeanEnvironment:
    """A clock, the pending events and SimPy's event count.

    Events due now are kept in two FIFOs instead of the heap: ``urgent`` (the start of a process)
    and ``normal`` (everything scheduled without delay). That is SimPy's order: at the current
    time urgent events go first, in the order scheduled; then the normal events that were
    scheduled at an earlier time (with a delay, in the heap: their ids are smaller), in id order;
    then those scheduled now, in the order scheduled. Only delayed events (the end of an
    operation) enter the heap."""

    __slots__ = ("now", "scheduled_events", "_heap", "_urgent", "_normal")

    def __init__(self) -> None:
        self.now = 0
        #: Events scheduled so far, as SimPy counts them (see the module's docstring).
        self.scheduled_events = 0
        self._heap: list = []  # (time, id, callback, argument): events scheduled with a delay
        self._urgent: deque = deque()  # (callback, argument)
        self._normal: deque = deque()

    def schedule(self, callback: Callable, arg, delay: int = 0, priority: int = NORMAL) -> None:
        """An event with an effect: ``callback(arg)`` when it is processed."""
        self.scheduled_events += 1
        if delay:
            heappush(self._heap, (self.now + delay, self.scheduled_events, callback, arg))
        elif priority == URGENT:
            self._urgent.append((callback, arg))
        else:
            self._normal.append((callback, arg))

    def event(self) -> LeanEvent:
        return LeanEvent(self)

    def run(self, until: LeanEvent) -> None:
        """Process events in order until ``until`` is processed."""
        heap, urgent, normal = self._heap, self._urgent, self._normal
        try:
            while True:
                if urgent:
                    callback, arg = urgent.popleft()
                elif heap and heap[0][0] == self.now:
                    _, _, callback, arg = heappop(heap)
                elif normal:
                    callback, arg = normal.popleft()
                elif heap:
                    self.now, _, callback, arg = heappop(heap)
                else:
                    break
                callback(arg)
        except _Stop:
            # SimPy schedules the stop event once more, for a later run that never comes.
            self.scheduled_events += 1
            return
        raise RuntimeError('no scheduled events left but the "until" event was not processed')


class LeanResource:
    """A ``simpy.PriorityResource`` of capacity 1 as the scheduler uses it (module docstring)."""

    __slots__ = ("env", "busy", "queue", "requests")

    def __init__(self, env: LeanEnvironment) -> None:
        self.env = env
        self.busy = False
        self.queue: list = []  # (priority, request time, request number, granted callback, arg)
        self.requests = 0

    def request(self, priority: int, granted: Callable, arg) -> None:
        """Queue a request; ``granted(arg)`` is the processing of its event, once granted."""
        if self.busy or self.queue:
            self.requests += 1
            heappush(self.queue, (priority, self.env.now, self.requests, granted, arg))
            self._trigger(None)
        else:  # (the same, without the queue)
            self.busy = True
            self.env.schedule(granted, arg)

    def _trigger(self, _) -> None:
        if not self.busy and self.queue:
            _, _, _, granted, arg = heappop(self.queue)
            self.busy = True
            self.env.schedule(granted, arg)

    def release(self) -> None:
        """Free the unit now; the release event grants the next request when it is processed
        (with nobody waiting it can change nothing, and is only counted)."""
        self.busy = False
        if self.queue:
            self.env.schedule(self._trigger, None)
        else:
            self.env.scheduled_events += 1
