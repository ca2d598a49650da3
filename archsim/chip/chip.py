"""The chip assembled from its configuration and a mapping: the units, named, in one list."""

from __future__ import annotations

import simpy

from archsim.chip import graph
from archsim.chip.mapping import Mapping
from archsim.chip.units import ActivationMemory, Link, NLFUnit, RPUTile
from archsim.config.chip import SRAMMemoryConfig
from archsim.config.design import Design


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it schedules."""

    def __init__(self) -> None:
        super().__init__()
        self.scheduled_events = 0

    def schedule(self, event, priority=1, delay=0) -> None:
        self.scheduled_events += 1
        super().schedule(event, priority, delay)


class Chip:
    """The used tiles, the NLF units, one link per array (per replica of a replicated one), the
    memory link and the memory."""

    def __init__(self, env: simpy.Environment, design: Design, mapping: Mapping) -> None:
        config = design.chip
        self.env = env
        self.config = config
        self.design = design
        self.mapping = mapping
        uc = graph.UnitCosts.of(design)
        self.periphery = uc.periphery
        units: list = []
        for a in mapping.arrays:
            for s in a.all_slices:  # with Tiki-Taka: C's tiles and A's
                units.append(RPUTile(env, graph.tile_unit(s.tile), config.tile, uc.tile))
        for u in range(config.nlf.count):
            units.append(NLFUnit(env, graph.nlf_unit(u), uc.nlf))
        for a in mapping.arrays:
            for r in range(a.replicas):
                units.append(Link(env, graph.array_link(a, r), uc.tile_link))
        units.append(Link(env, graph.MEMORY_LINK, uc.memory_link))
        capacity = config.memory.capacity_bytes if isinstance(config.memory, SRAMMemoryConfig) else None
        self.memory = ActivationMemory(env, graph.MEMORY, uc.memory, capacity)
        units.append(self.memory)
        self.units = units
        self.index = {u.name: i for i, u in enumerate(units)}
        self.tiles = [u for u in units if isinstance(u, RPUTile)]
