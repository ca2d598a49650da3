"""The workload graph of one training window: a networkx DAG, built from the mapping (pure step).

Per step and array: the forward MVM on every tile of the array, the transfers, the partial-sum
accumulation of a split array, the NLF work and the BPTT stores; then the backward chain in
reverse time order; then the nBPTT rank-1 updates of every array. Every node carries its unit,
its hardware verb and arguments, its cost in cycles (one pass) and its operations (counting rule),
so the graph is inspectable without running SimPy. Edges into the next window of the same
sequence (the recurrent state, the updated weights) are listed in ``graph.graph["carry"]``.
With Tiki-Taka (chip/tikitaka.py) the updates run on the fast array A's tiles and each window
adds its transfers: one-hot reads of A, TTv2's buffer work and rank-1 updates of C.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import networkx as nx

from archsim.chip import costs, measures, tikitaka
from archsim.chip.mapping import MappedArray, Mapping
from archsim.config.design import Design

#: Unit names: tiles "tile<k>", NLF units "nlf<u>", "memory", one link per array, the memory link.
MEMORY = "memory"
MEMORY_LINK = "link:nlf-memory"


def tile_unit(k: int) -> str:
    return f"tile{k}"


def nlf_unit(u: int) -> str:
    return f"nlf{u}"


def array_link(array: MappedArray, replica: int = 0) -> str:
    """The link of an array's tiles to its NLF unit; each replica of an image layer has its own."""
    return f"link:{array.name}" if replica == 0 else f"link:{array.name}.r{replica}"


#: Unit class of each verb (for the breakdown: what an array waited on).
VERB_CLASS = {
    "forward": "tile",
    "backward": "tile",
    "update": "tile",
    "activate": "nlf",
    "accumulate": "nlf",
    "transfer": "link",
    "store": "memory",
    "load": "memory",
}


@dataclass(frozen=True)
class UnitCosts:
    """The chip's cost functions in cycles, converted once, and what they took of the RPU."""

    periphery: costs.Periphery
    tile: costs.TileTiming
    nlf: costs.NLFTiming
    memory: costs.TransferTiming
    tile_link: costs.TransferTiming
    memory_link: costs.TransferTiming

    @classmethod
    def of(cls, design: Design) -> UnitCosts:
        chip = design.chip
        g = chip.clock_ghz
        periphery = costs.Periphery.of(design.rpu)
        return cls(
            periphery,
            costs.TileTiming.of(chip.tile, periphery, g),
            costs.NLFTiming.of(chip),
            costs.TransferTiming.of(chip.memory, g),
            costs.TransferTiming.of(chip.links.tile_nlf, g),
            costs.TransferTiming.of(chip.links.nlf_memory, g),
        )


class _Nodes:
    """Adds the nodes of a window graph ``g`` with the costs ``uc``: the helpers both graph builders
    (a character window, an image) share. A node's key is (name, array, step or position, ...)."""

    def __init__(self, g: nx.DiGraph, uc: UnitCosts) -> None:
        self.g, self.uc = g, uc

    def node(self, key, unit, verb, args, cycles, preds=(), ops=0):
        self.g.add_node(
            key, unit=unit, verb=verb, args=args, cycles=cycles, ops=ops, array=key[1], step=key[2]
        )
        for p in preds:
            self.g.add_edge(p, key)
        return key

    def transfer(self, key, unit, timing, nbytes, preds):
        return self.node(key, unit, "transfer", (nbytes,), timing.cycles(nbytes), preds)

    def nlf(self, key, a, work, preds):
        return self.node(key, nlf_unit(a.nlf_unit), "activate", (work,), self.uc.nlf.cycles(work), preds)

    def acc(self, key, a, adds, preds):
        work = costs.accumulate_work(adds)
        return self.node(key, nlf_unit(a.nlf_unit), "accumulate", (work,), self.uc.nlf.cycles(work), preds)

    def mvm(self, phase, verb, a, step, slices, preds_of):
        """One operation of ``verb`` on each of ``slices`` (tiles of array ``a``) at ``step``."""
        tile = self.uc.tile
        keys = []
        for s in slices:
            if verb == "update":
                cycles = tile.update_cycles()
            elif verb == "forward":
                cycles = tile.mvm_cycles(0, s.rows)
            else:
                cycles = tile.mvm_cycles(1, s.cols)
            key = (f"{phase}_mvm", a.name, step, s.tile)
            ops = costs.operations(s.rows, s.cols)
            keys.append(self.node(key, tile_unit(s.tile), verb, (s.rows, s.cols), cycles, preds_of(s), ops))
        return keys

    def tiki_taka_transfer(self, algorithm, a, t, n, last_fast, last_write, bpv, tile_cols):
        """Tiki-Taka's n-th transfer of the window, after A's update at step (or position) t: per
        column, a one-hot read of A's tiles that hold it, out over the link, TTv2's buffer work,
        back over the link, a rank-1 update of C's tiles that hold it. ``last_fast`` (A's tile ->
        its last operation) and ``last_write`` (C's tile -> its last transfer update) are advanced:
        A's next update waits for the reads, C's writes follow each other."""
        uc, link = self.uc, array_link(a)
        for i, col in enumerate(tikitaka.transfer_columns(algorithm, n, a.cols)):
            block = col // tile_cols
            reads = []
            for s in a.fast_slices:
                if s.col_block == block:
                    key = (tikitaka.READ, a.name, t, i, s.tile)
                    cycles = uc.tile.mvm_cycles(0, s.rows)
                    preds = [last_fast[s.tile]] if s.tile in last_fast else []
                    reads.append(
                        self.node(key, tile_unit(s.tile), "forward", (s.rows, 1), cycles, preds, 2 * s.rows)
                    )
                    last_fast[s.tile] = key
            src = self.transfer((tikitaka.READ_OUT, a.name, t, i), link, uc.tile_link, a.rows * bpv, reads)
            work = tikitaka.buffer_work(algorithm, a.rows)
            if work:
                src = self.nlf((tikitaka.BUFFER, a.name, t, i), a, work, [src])
            src = self.transfer((tikitaka.WRITE_IN, a.name, t, i), link, uc.tile_link, a.rows * bpv, [src])
            for s in a.slices:
                if s.col_block == block:
                    key = (tikitaka.WRITE, a.name, t, i, s.tile)
                    preds = [src] + ([last_write[s.tile]] if s.tile in last_write else [])
                    last_write[s.tile] = self.node(
                        key,
                        tile_unit(s.tile),
                        "update",
                        (s.rows, 1),
                        uc.tile.update_cycles(),
                        preds,
                        2 * s.rows,
                    )


def build_window_graph(mapping: Mapping, design: Design) -> nx.DiGraph:
    """The DAG of one training window (one sequence) on the mapped chip of ``design``; an image
    network's window is one image (:func:`build_image_graph`)."""
    if mapping.image:
        return build_image_graph(mapping, design)
    chip = design.chip
    uc = UnitCosts.of(design)
    bpv = chip.bytes_per_value
    steps = mapping.bptt_steps
    arrays = mapping.arrays
    g = nx.DiGraph(steps=steps, workload=mapping.workload, chip=mapping.chip)
    carry: list[tuple[tuple, tuple]] = []

    nodes = _Nodes(g, uc)
    node, transfer = nodes.node, nodes.transfer

    nlf, acc = nodes.nlf, nodes.acc

    def mvm(phase, verb, a, t, preds_of):
        return nodes.mvm(phase, verb, a, t, a.update_slices if verb == "update" else a.slices, preds_of)

    store = {a.name: costs.bptt_bytes(a.kind, a.rows, a.cols, bpv) for a in arrays}
    algorithm = tikitaka.algorithm_of(design.rpu)
    transfers = {a.name: tikitaka.window_transfers(algorithm, mapping, a) for a in arrays}
    first_forward: dict[str, list] = {}  # array -> its forward on each of its tiles at step 0
    f_nlf: dict[tuple[int, int], tuple] = {}
    # Forward, step by step, layer by layer.
    for t in range(steps):
        for ai, a in enumerate(arrays):
            preds = []
            if ai > 0:
                preds.append(f_nlf[ai - 1, t])
            if a.kind == "lstm" and t > 0:
                preds.append(f_nlf[ai, t - 1])
            fin = transfer(("f_in", a.name, t), array_link(a), uc.tile_link, a.cols * bpv, preds)
            if a.kind == "lstm" and t == 0:
                carry.append((("f_nlf", a.name, steps - 1), fin))
            tiles = mvm("f", "forward", a, t, lambda s, fin=fin: [fin])
            if t == 0:
                first_forward[a.name] = tiles
            out = transfer(
                ("f_out", a.name, t), array_link(a), uc.tile_link, a.rows * a.col_blocks * bpv, tiles
            )
            if a.col_blocks > 1:
                out = acc(("f_acc", a.name, t), a, (a.col_blocks - 1) * a.rows, [out])
            m = a.rows // 4
            work = costs.lstm_forward_work(m) if a.kind == "lstm" else costs.softmax_forward_work(a.rows)
            work = measures.forward_work(design.rpu, a.rows) + work  # scale, bias, then the cell
            f_nlf[ai, t] = nlf(("f_nlf", a.name, t), a, work, [out])
            b = store[a.name]
            ml = transfer(
                ("f_mlink", a.name, t), MEMORY_LINK, uc.memory_link, b.inputs + b.saved, [f_nlf[ai, t]]
            )
            nbytes = b.inputs + b.saved
            node(("f_store", a.name, t), MEMORY, "store", (nbytes, nbytes), uc.memory.cycles(nbytes), [ml])
    # Backward in reverse time order, from the softmax down.
    b_res: dict[tuple[int, int], tuple] = {}
    b_nlf: dict[tuple[int, int], tuple] = {}
    b_in: dict[tuple[int, int], tuple] = {}
    b_mvm: dict[tuple[int, int], list[tuple]] = {}
    for t in reversed(range(steps)):
        for ai in reversed(range(len(arrays))):
            a = arrays[ai]
            b = store[a.name]
            preds = [("f_store", a.name, t)]
            if t < steps - 1:
                preds.append(b_nlf[ai, t + 1] if a.kind == "lstm" else b_in[ai, t + 1])
            load = node(
                ("b_load", a.name, t),
                MEMORY,
                "load",
                (b.saved, b.saved if a.kind == "lstm" else 0),
                uc.memory.cycles(b.saved),
                preds,
            )
            ml = transfer(("b_mlink", a.name, t), MEMORY_LINK, uc.memory_link, b.saved, [load])
            if a.kind == "lstm":
                preds = [ml, b_res[ai + 1, t]]
                if t < steps - 1:
                    preds += [b_res[ai, t + 1], b_nlf[ai, t + 1]]
                src = b_nlf[ai, t] = nlf(
                    ("b_nlf", a.name, t), a, costs.lstm_backward_work(a.rows // 4), preds
                )
                dl = transfer(("b_mlink_d", a.name, t), MEMORY_LINK, uc.memory_link, b.delta, [src])
                node(
                    ("b_store", a.name, t),
                    MEMORY,
                    "store",
                    (b.delta, b.delta),
                    uc.memory.cycles(b.delta),
                    [dl],
                )
            else:
                src = ml
            b_in[ai, t] = transfer(("b_in", a.name, t), array_link(a), uc.tile_link, a.rows * bpv, [src])
            tiles = b_mvm[ai, t] = mvm("b", "backward", a, t, lambda s, ai=ai, t=t: [b_in[ai, t]])
            out = transfer(
                ("b_out", a.name, t), array_link(a), uc.tile_link, a.cols * a.row_blocks * bpv, tiles
            )
            if a.row_blocks > 1:
                out = acc(("b_acc", a.name, t), a, (a.row_blocks - 1) * a.cols, [out])
            scale = measures.backward_work(design.rpu, a.cols)
            if scale:
                out = nlf(("b_scale", a.name, t), a, scale, [out])
            b_res[ai, t] = out
    # The nBPTT rank-1 updates of every array, once its backward chain is done.
    for ai, a in enumerate(arrays):
        b = store[a.name]
        kept = b.delta if a.kind == "lstm" else b.saved
        prev_in = None
        # The tile operation each update of a tile block waits for: the backward at step 0, then
        # the update (or Tiki-Taka's last read of A) of the step before.
        after_backward = {(s.row_block, s.col_block): k for s, k in zip(a.slices, b_mvm[ai, 0], strict=True)}
        last_fast: dict[int, tuple] = {}  # tile that takes the updates -> its last operation
        last_write: dict[int, tuple] = {}  # Tiki-Taka: C's tile -> its last transfer update
        for t in range(steps):
            preds = [("b_store", a.name, t) if a.kind == "lstm" else ("f_store", a.name, t)]
            if prev_in is None:
                preds.append(b_nlf[ai, 0] if a.kind == "lstm" else b_in[ai, 0])
            else:
                preds.append(prev_in)
            nbytes = b.inputs + kept
            load = node(
                ("u_load", a.name, t), MEMORY, "load", (nbytes, nbytes), uc.memory.cycles(nbytes), preds
            )
            ml = transfer(("u_mlink", a.name, t), MEMORY_LINK, uc.memory_link, nbytes, [load])
            prev_in = transfer(
                ("u_in", a.name, t), array_link(a), uc.tile_link, (a.rows + a.cols) * bpv, [ml]
            )
            tiles = mvm(
                "u",
                "update",
                a,
                t,
                lambda s, fin=prev_in, lf=last_fast, ab=after_backward: [
                    fin,
                    lf.get(s.tile) or ab[s.row_block, s.col_block],
                ],
            )
            last_fast.update((s.tile, k) for s, k in zip(a.update_slices, tiles, strict=True))
            bias = measures.update_work(design.rpu, a.rows)
            if bias:
                nlf(("u_bias", a.name, t), a, bias, [prev_in])
            if t in transfers[a.name]:
                n = transfers[a.name][t]
                nodes.tiki_taka_transfer(algorithm, a, t, n, last_fast, last_write, bpv, chip.tile.cols)
        # The next window's first forward on each tile waits for the window's last write of the
        # weights there: the last update, with Tiki-Taka the last transfer into C where there is one.
        fast = {(s.row_block, s.col_block): s.tile for s in a.update_slices}
        for s, k in zip(a.slices, first_forward[a.name], strict=True):
            carry.append((last_write.get(s.tile) or last_fast[fast[s.row_block, s.col_block]], k))
    g.graph["carry"] = carry
    return g


def build_image_graph(mapping: Mapping, design: Design) -> nx.DiGraph:
    """The DAG of one training image (a window of an image network; docs/chip.md).

    Forward, layer by layer: each output position p in order loads its patch from the input map in
    activation memory (im2col: the gather is the load), drives it into the array (copy p mod R of
    a replicated layer), activates the outputs on the NLF unit and stores them in the output map;
    a pooling layer reads the whole map, pools it and stores the pooled map (the next layer's input).
    The softmax's NLF work also forms its delta. Backward, from the softmax down: each position's
    delta is loaded and driven back through the array, its patch errors added into the input's
    error map (col2im) and the map stored; the layer below then forms its delta map (pool routing,
    the activation's derivative). The first array's backward is skipped (nothing uses it). Updates:
    each array's positions in order, each one rank-1 update on its copy, once the array's backward
    (the weights of the forward) and its delta map are done. Each tile's MVMs run in position
    order. The stream's next image is written when this one's buffer is freed; each array's first
    forward on each tile waits for this image's last update there (carry edges).
    Node keys are (name, array, position[, tile]); per-layer nodes use position 0.
    """
    chip = design.chip
    uc = UnitCosts.of(design)
    bpv = chip.bytes_per_value
    arrays = mapping.arrays
    mem = uc.memory
    g = nx.DiGraph(steps=1, workload=mapping.workload, chip=mapping.chip)
    carry: list[tuple[tuple, tuple]] = []

    nodes = _Nodes(g, uc)
    node, transfer = nodes.node, nodes.transfer

    def store(key, nbytes, keep, preds):
        return node(key, MEMORY, "store", (nbytes, keep), mem.cycles(nbytes), preds)

    def load(key, nbytes, free, preds):
        return node(key, MEMORY, "load", (nbytes, free), mem.cycles(nbytes), preds)

    nlf, acc = nodes.nlf, nodes.acc

    mvm = nodes.mvm

    replicas = {a.name: [a.replica_slices(r) for r in range(a.replicas)] for a in arrays}
    algorithm = tikitaka.algorithm_of(design.rpu)  # with Tiki-Taka no layer is replicated (mapping)

    def chained(src, phase, a, p, s):
        """The inputs of position p's MVM on tile s: its vector, and the copy's previous position."""
        return [src] + ([(f"{phase}_mvm", a.name, p - a.replicas, s.tile)] if p >= a.replicas else [])

    first = arrays[0]
    image_bytes = first.input_values * bpv
    image = store(("f_image", first.name, 0), image_bytes, image_bytes, [])
    # The stream's next image is written when this one's buffer is freed (its first array's last
    # update load; edge added below).
    carry.append((("u_load", first.name, first.updates - 1), image))
    # Forward.
    map_done: list = [image]  # the nodes after which the current array's input map is in memory
    for a in arrays:
        patch = a.patch_values * bpv
        out_bytes = a.rows * bpv
        stores = []
        prev = None
        for p in range(a.forward_mvms):
            r = p % a.replicas
            ld = load(("f_load", a.name, p), patch, 0, map_done + ([prev] if prev else []))
            prev = ld
            ml = transfer(("f_mlink", a.name, p), MEMORY_LINK, uc.memory_link, patch, [ld])
            fin = transfer(("f_in", a.name, p), array_link(a, r), uc.tile_link, patch + bpv, [ml])
            # Positions run in order on each copy: a tile's MVMs are chained (the first one waits
            # for the previous image's last update there: a carry).
            tiles = mvm(
                "f",
                "forward",
                a,
                p,
                replicas[a.name][r],
                lambda s, fin=fin, a=a, p=p: chained(fin, "f", a, p, s),
            )
            out = transfer(
                ("f_out", a.name, p), array_link(a, r), uc.tile_link, a.rows * a.col_blocks * bpv, tiles
            )
            if a.col_blocks > 1:
                out = acc(("f_acc", a.name, p), a, (a.col_blocks - 1) * a.rows, [out])
            if a.kind == "softmax":
                work = costs.softmax_forward_work(a.rows)
            else:
                work = costs.activation_work(a.activation, a.rows)
            fn = nlf(("f_nlf", a.name, p), a, work, [out])
            ml = transfer(("f_mlink_o", a.name, p), MEMORY_LINK, uc.memory_link, out_bytes, [fn])
            stores.append(store(("f_store", a.name, p), out_bytes, out_bytes, [ml]))
        map_done = stores
        if a.pooled_values != a.output_values:
            nbytes, pooled = a.output_values * bpv, a.pooled_values * bpv
            pl = load(("f_pool_load", a.name, 0), nbytes, 0, stores)
            ml = transfer(("f_pool_mlink", a.name, 0), MEMORY_LINK, uc.memory_link, nbytes, [pl])
            pn = nlf(("f_pool", a.name, 0), a, costs.pool_forward_work(a.output_values), [ml])
            ml = transfer(("f_pool_mlink_o", a.name, 0), MEMORY_LINK, uc.memory_link, pooled, [pn])
            map_done = [store(("f_pool_store", a.name, 0), pooled, pooled, [ml])]
    # Backward, from the softmax down; the softmax's delta was formed and stored in its forward.
    delta_ready: dict[int, list] = {len(arrays) - 1: [("f_store", arrays[-1].name, 0)]}
    backward_done: dict[int, list] = {}
    for ai in reversed(range(len(arrays))):
        a = arrays[ai]
        backward_done[ai] = []
        if a.backward_mvms == 0:
            continue
        delta = a.rows * bpv
        done = []
        prev = None
        for p in range(a.backward_mvms):
            r = p % a.replicas
            ld = load(("b_load", a.name, p), delta, 0, delta_ready[ai] + ([prev] if prev else []))
            prev = ld
            ml = transfer(("b_mlink", a.name, p), MEMORY_LINK, uc.memory_link, delta, [ld])
            bin_ = transfer(("b_in", a.name, p), array_link(a, r), uc.tile_link, delta, [ml])
            tiles = mvm(
                "b",
                "backward",
                a,
                p,
                replicas[a.name][r],
                lambda s, b=bin_, a=a, p=p: chained(b, "b", a, p, s),
            )
            out = transfer(
                ("b_out", a.name, p),
                array_link(a, r),
                uc.tile_link,
                (a.patch_values + 1) * a.row_blocks * bpv,
                tiles,
            )
            if a.row_blocks > 1:
                out = acc(("b_acc", a.name, p), a, (a.row_blocks - 1) * a.cols, [out])
            if a.kind == "conv":
                out = nlf(("b_nlf", a.name, p), a, costs.col2im_work(a.patch_values), [out])
            done.append(out)
        err = a.input_values * bpv
        ml = transfer(("b_mlink_o", a.name, 0), MEMORY_LINK, uc.memory_link, err, done)
        est = store(("b_store", a.name, 0), err, err, [ml])
        backward_done[ai] = [est]
        # The delta map of the array below, from the error map of its output (after its pooling).
        below = arrays[ai - 1]
        pooled = below.pooled_values != below.output_values
        out_bytes = below.output_values * bpv
        dl = load(("b_dload", below.name, 0), err + out_bytes, err + (out_bytes if pooled else 0), [est])
        ml = transfer(("b_dmlink", below.name, 0), MEMORY_LINK, uc.memory_link, err + out_bytes, [dl])
        work = costs.delta_work(below.activation, below.output_values, pooled)
        dn = nlf(("b_delta", below.name, 0), below, work, [ml])
        ml = transfer(("b_dmlink_o", below.name, 0), MEMORY_LINK, uc.memory_link, out_bytes, [dn])
        delta_ready[ai - 1] = [store(("b_dstore", below.name, 0), out_bytes, out_bytes, [ml])]
    # Updates: position by position, once the array's backward and its delta map are done.
    for ai, a in enumerate(arrays):
        nbytes = (a.patch_values + a.rows) * bpv
        # The last update frees the array's input map and its delta map.
        free = (a.input_values + a.output_values) * bpv
        after = delta_ready[ai] + backward_done[ai]
        if ai > 0 and a.backward_mvms > 0:
            after.append(("b_dload", arrays[ai - 1].name, 0))  # the map below is read before it is freed
        prev = None
        last_on_tile: dict[int, tuple] = {}  # tile that takes the updates -> its last operation
        last_write: dict[int, tuple] = {}  # Tiki-Taka: C's tile -> its last transfer update
        transfers = tikitaka.window_transfers(algorithm, mapping, a)
        for p in range(a.updates):
            r = p % a.replicas
            last = p == a.updates - 1
            ld = load(("u_load", a.name, p), nbytes, free if last else 0, after if prev is None else [prev])
            prev = ld
            ml = transfer(("u_mlink", a.name, p), MEMORY_LINK, uc.memory_link, nbytes, [ld])
            uin = transfer(("u_in", a.name, p), array_link(a, r), uc.tile_link, nbytes + bpv, [ml])
            slices = a.fast_slices or replicas[a.name][r]  # Tiki-Taka's updates go to A
            tiles = mvm(
                "u",
                "update",
                a,
                p,
                slices,
                lambda s, u=uin, lt=dict(last_on_tile): [u] + ([lt[s.tile]] if s.tile in lt else []),
            )
            for s, k in zip(slices, tiles, strict=True):
                last_on_tile[s.tile] = k
            if p in transfers:
                nodes.tiki_taka_transfer(
                    algorithm, a, p, transfers[p], last_on_tile, last_write, bpv, chip.tile.cols
                )
        # The next image's first forward on each tile waits for this image's last write of the
        # weights there: the last update, with Tiki-Taka the last transfer into C where there is one.
        fast = {(s.row_block, s.col_block): s.tile for s in a.fast_slices}
        for r, slices in enumerate(replicas[a.name]):
            for s in slices:
                src = last_write.get(s.tile) or last_on_tile[fast.get((s.row_block, s.col_block), s.tile)]
                carry.append((src, ("f_mvm", a.name, r, s.tile)))
    g.graph["carry"] = carry
    return g


def critical_path(g: nx.DiGraph) -> tuple[int, list]:
    """Longest path through one window in cycles (one pass per MVM, no contention) and its nodes."""
    best: dict = {}
    back: dict = {}
    for key in g.nodes:  # insertion order is topological
        start, arg = 0, None
        for p in g.predecessors(key):
            if best[p] > start:
                start, arg = best[p], p
        best[key] = start + g.nodes[key]["cycles"]
        back[key] = arg
    end = max(best, key=best.__getitem__)
    path = [end]
    while back[path[-1]] is not None:
        path.append(back[path[-1]])
    return best[end], path[::-1]


def operation_counts(g: nx.DiGraph) -> dict[str, int]:
    """Nodes per hardware verb, and the operations of one window by the counting rule."""
    counts = Counter(d["verb"] for _, d in g.nodes(data=True))
    result = dict(sorted(counts.items()))
    result["operations"] = sum(d["ops"] for _, d in g.nodes(data=True))
    return result
