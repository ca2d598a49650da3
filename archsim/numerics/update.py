"""Stochastic pulsed update (NUMERICS.md 3) on constant-step devices and on the device models
whose step depends on the weight (docs/numerics.md, "Device models").

``pulsed_update_shaped`` is the Numba kernel, ``pulsed_update_shaped_reference`` its NumPy twin
(same draws); ``pulsed_update`` and ``pulsed_update_reference`` are the same on constant-step
devices. For each row b of ``xs`` (B, N) and ``ds`` (B, M), in order, the kernel

1. sets the pulse amplitudes (fixed BL, or update / bit-length management),
2. draws one Bernoulli train of BL slots per column j (probability min(B|x_j|, 1)) and per row i
   (min(A|d_i|, 1)); trains are shared by the whole row / column, so coincidences keep the
   row/column correlation of the hardware,
3. applies every coincidence (a slot where both trains of a device fire) as one device step,
   in slot order, with fresh cycle-to-cycle noise and clipping to the device's bounds after each
   step (NUMERICS.md 3.2 exactly; no summed-step approximation is needed), times the device
   model's factor f(w) of the current weight (1 on a constant-step device): the weight moves
   down when sign(x_j) * sign(d_i) > 0. Within one update a device's weight is carried in
   float64 and stored (float32) once, so float32 rounding does not accumulate over its pulses.

Speed (NUMERICS.md 6): the column trains are inverted into per-slot column lists (each entry
carries its column's sign in its lowest bit), so the work per row is one pass over the columns that
fire in each of the row's slots; no popcount and no data-dependent branch per cell (the step
direction, random from column to column, selects by index). A batch of updates (a training
window) is applied row by row, each row receiving its updates in order, so that the row's
weights and device parameters are read from memory (and decoded) once per batch rather than
once per update. The Gaussians of a slot's coincidences are drawn in two vectorised passes
(rng.fill_normals_fast); the rare draws the ziggurat's fast path rejects are completed in the
scalar loop that applies the steps. Where the time goes (docs/performance.md): about 1 ns per
coincidence for its Gaussian and 1.5 ns to apply it, in a window; one update alone also
streams each pulsed row from memory.

Random draws: update b of a call draws from the streams of ``counter + b``, so a batch of B updates
gives exactly what B single updates with consecutive counters give. The train slots of column j
are the 32-bit halves of draws ``j * 32 + k`` (k < ceil(BL / 2)) of that update's TAG_TRAIN_X
stream, rows likewise on TAG_TRAIN_D; the cycle noise of the coincidence of device (i, j) in slot
s is normal draw ``(i * N + j) * 64 + s`` of its TAG_C2C stream.
"""

from __future__ import annotations

import math

import numpy as np

from archsim.numerics.jit import jit
from archsim.numerics.rng import (
    TAG_C2C,
    TAG_TRAIN_D,
    TAG_TRAIN_X,
    call_base,
    call_base_np,
    draw,
    draw_np,
    fill_normals_fast,
    normal,
    normal_np,
)

_LOW32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_TWO32 = 4294967296.0
MAX_SLOTS = 64
_ALL_SLOTS = ~np.uint64(0)
#: A column-list entry is ``(j << ENTRY_SHIFT) | (x_j > 0)``.
ENTRY_SHIFT = np.uint32(1)
#: Kernel codes of the device models (``pulsed_update_shaped``'s ``model``; devices.device_model).
#: They live here, in the kernels' module, so that changing one invalidates the cached kernels.
MODEL_CONSTANT, MODEL_LINEAR, MODEL_EXP, MODEL_POW = 0, 1, 2, 3
#: Entries of the tile-wide ``shape`` array of the exponential step.
EXP_A, EXP_B, EXP_A_UP, EXP_A_DOWN, EXP_GAMMA_UP, EXP_GAMMA_DOWN = range(6)


@jit
def pulse_amplitudes(xmax, dmax, lr, dw_min, bl, update_management, bl_management):
    """(A, B, BL): amplitudes of the d and x trains and the train length of one update."""
    k = lr * xmax * dmax / dw_min
    n_slots = bl
    if bl_management:
        n_slots = min(max(int(math.ceil(k)), 1), bl)
    amp_d = math.sqrt(lr / (dw_min * n_slots))
    amp_x = amp_d
    if update_management or bl_management:
        dm = dmax
        if k > n_slots:
            dm = dmax * n_slots / k
        amp_x *= math.sqrt(dm / xmax)
        amp_d *= math.sqrt(xmax / dm)
    return amp_d, amp_x, n_slots


def train_length(xmax, dmax, lr, dw_min, bl, update_management, bl_management) -> int:
    """Slots of the pulse trains of one update as :func:`pulsed_update` runs it, for the chip
    model: the fixed BL, or under BL management min(ceil(lr xmax dmax / dw_min), BL), and 0 when
    BL management finds nothing to pulse (x, d or lr zero)."""
    if not bl_management:
        return int(bl)
    if xmax == 0.0 or dmax == 0.0 or lr == 0.0:
        return 0
    return int(pulse_amplitudes(xmax, dmax, lr, dw_min, bl, update_management, bl_management)[2])


@jit
def _trains(base, values, amp, n_slots, out, needed, threshold, live):
    """``out[i]``: the Bernoulli train of n_slots slots (slot k is bit k of a uint64) with
    probability min(amp |values[i]|, 1), for every i. Slots 2k and 2k + 1 of train i are the low
    and high 32 bits of draw ``i * 32 + k`` of the stream ``base``, each below
    ``threshold = prob * 2**32`` (so a zero probability never fires and a probability of 1
    always does). Only the slot pairs with a bit in ``needed`` are drawn (the others stay 0), and
    only for the trains whose threshold is not 0 (those never fire; in a conv layer most errors
    are 0, where pooling did not pick the output): every draw is addressed by (i, k), so skipping
    some changes none of the others. ``threshold``, ``live``: scratch of at least ``values.size``
    entries (the thresholds, and the indices of the nonzero ones, compacted branch-free); the
    draws run over those indices when they are at most half, else over every train (vectorised)."""
    n = values.size
    n_live = 0
    for i in range(n):
        threshold[i] = np.uint64(min(amp * abs(np.float64(values[i])), 1.0) * _TWO32)
        out[i] = 0
        live[n_live] = i
        n_live += np.int64(threshold[i] != 0)
    for k in range((n_slots + 1) // 2):
        if not (needed >> np.uint64(2 * k)) & np.uint64(3):
            continue
        low, high = np.uint64(2 * k), np.uint64(2 * k + 1)
        if 2 * n_live > n:  # dense: the vectorised pass over every train
            for i in range(n):
                r = draw(base, i * 32 + k)
                bits = np.uint64((r & _LOW32) < threshold[i]) << low
                out[i] |= bits | (np.uint64((r >> _S32) < threshold[i]) << high)
        else:
            for m in range(n_live):
                i = live[m]
                r = draw(base, i * 32 + k)
                bits = np.uint64((r & _LOW32) < threshold[i]) << low
                out[i] |= bits | (np.uint64((r >> _S32) < threshold[i]) << high)
    if n_slots & 1:  # drop the unused half of the last draw
        keep = ~np.uint64(0) >> np.uint64(64 - n_slots)
        for i in range(n):
            out[i] &= keep


@jit
def _finite_abs_max(values):
    """(all finite, max |value|) of a float32 vector in one vectorised pass: for finite floats the
    order of |v| is the order of their bit patterns with the sign bit cleared, an integer max."""
    bits = values.view(np.uint32)
    largest = np.uint32(0)
    for k in range(bits.size):
        largest = np.uint32(max(largest, bits[k] & np.uint32(0x7FFFFFFF)))
    # Exponent bits all ones: inf or NaN.
    return largest < np.uint32(0x7F800000), np.float64(np.uint32(largest).view(np.float32))


@jit
def _count_slot(masks, slot):
    """How many of the trains ``masks`` fire in ``slot`` (vectorised)."""
    count = 0
    for j in range(masks.size):
        count += np.int64((masks[j] >> slot) & np.uint64(1))
    return count


@jit
def _decode_row(packed, means, scales, table):
    """Decode one row of device parameters into ``table`` (4, N) float64: the signed moves
    [up, -down] and the bounds [bmin, bmax]. ``packed`` (N,) int64 holds each device's four int16
    offsets (devices.py; little-endian: up, down, bmin, bmax), sign-extended field by field; a
    vectorised pass."""
    for j in range(packed.size):
        p = packed[j]
        table[0, j] = means[0] * (1.0 + scales[0] * np.float64((p << np.int64(48)) >> np.int64(48)))
        table[1, j] = -(means[1] * (1.0 + scales[1] * np.float64((p << np.int64(32)) >> np.int64(48))))
        table[2, j] = means[2] * (1.0 + scales[2] * np.float64((p << np.int64(16)) >> np.int64(48)))
        table[3, j] = means[3] * (1.0 + scales[3] * np.float64(p >> np.int64(48)))


@jit
def _c2c_redraw(j, c2c, base, draw0):
    """The cycle-to-cycle factor 1 + c2c xi of the coincidence of column ``j``, drawn in full:
    for the draws whose ziggurat fast path rejected (NaN in ``factor``, about 0.4 %), completed
    in the scalar loop that visits every coincidence anyway."""
    return 1.0 + c2c * normal(base, np.uint64(j) * np.uint64(MAX_SLOTS) + np.uint64(draw0))


@jit
def _apply_pulses_packed(w_row, cols, packed, means, scales, d_negative, c2c, factor, base, draw0):
    """:func:`_apply_pulses` decoding each pulsed device's parameters from ``packed`` (N,) int64
    as it goes (the same values as _decode_row's): cheaper than decoding the whole row when the
    row is pulsed by one update of the call only."""
    for k in range(cols.size):
        c = cols[k]
        j = c >> ENTRY_SHIFT
        kind = (c & np.uint32(1)) ^ d_negative  # 1: down (sign(x_j) = sign(d_i)), 0: up
        p = packed[j]
        q = np.float64((p << np.int64(48 - 16 * np.int64(kind))) >> np.int64(48))
        step = means[kind] * (1.0 + scales[kind] * q)
        move = -step if kind else step
        if c2c > 0.0:
            f = factor[k]
            move *= f if f == f else _c2c_redraw(j, c2c, base, draw0)
        moved = np.float64(w_row[j]) + move
        low = means[2] * (1.0 + scales[2] * np.float64((p << np.int64(16)) >> np.int64(48)))
        high = means[3] * (1.0 + scales[3] * np.float64(p >> np.int64(48)))
        w_row[j] = min(max(moved, low), high)


@jit
def _apply_pulses(w_row, cols, table, d_negative, c2c, factor, base, draw0):
    """One coincidence on each device ``cols[k] >> ENTRY_SHIFT`` of one row (NUMERICS.md 3.2): down
    by its down step where sign(x_j) * sign(d_i) > 0, else up by its up step, times its
    cycle-to-cycle factor 1 + c2c xi if c2c > 0; clipped to its bounds. ``factor[k]`` holds the
    factor from the vectorised pass (rng.fill_normals_fast), or NaN where that pass's ziggurat
    rejected the draw: then it is drawn in full here (_c2c_redraw, the same value).

    ``cols[k]`` carries x_j > 0 in its lowest bit, so the column's sign is read in sequence with its
    index; ``d_negative``: 1 if d_i <= 0 else 0; ``table``: the row's decoded parameters
    (_decode_row). The loop has no data-dependent branch: the step direction (random from
    column to column) selects the table row by index.
    """
    for k in range(cols.size):
        c = cols[k]
        j = c >> ENTRY_SHIFT
        move = table[(c & np.uint32(1)) ^ d_negative, j]  # row 1: down (sign(x_j) = sign(d_i))
        if c2c > 0.0:
            f = factor[k]
            move *= f if f == f else _c2c_redraw(j, c2c, base, draw0)
        w_row[j] = min(max(np.float64(w_row[j]) + move, table[2, j]), table[3, j])


@jit
def step_factor(model, down, w, lo, hi, e_up, e_down, shape):
    """The step of one coincidence at weight ``w`` in units of the device's step at w = 0 (its
    up or down step; the power step's is at the bound it leaves), for device models whose step
    depends on the weight (docs/numerics.md, "Device models"). ``down``: 1 for a down step;
    ``lo``, ``hi``: the device's bounds; ``e_up``, ``e_down``: its two per-device parameters (the
    linear family's slopes, the power step's exponents); ``shape``: the exponential step's
    tile-wide parameters."""
    if model == MODEL_LINEAR:
        return 1.0 - (e_down if down else e_up) * w
    span = hi - lo
    if span <= 0.0:
        return 0.0
    if model == MODEL_EXP:
        z = 2.0 * shape[EXP_A] * w / span + shape[EXP_B]
        if down:
            return max(1.0 - shape[EXP_A_DOWN] * math.exp(-shape[EXP_GAMMA_DOWN] * z), 0.0)
        return max(1.0 - shape[EXP_A_UP] * math.exp(shape[EXP_GAMMA_UP] * z), 0.0)
    if model == MODEL_POW:  # the float32 weight may sit a rounding below its float64 bound
        if down:
            return max((w - lo) / span, 0.0) ** np.float64(e_down)
        return max((hi - w) / span, 0.0) ** np.float64(e_up)
    return 1.0


@jit
def _apply_pulses_shaped(
    w_row, cols, table, extra_row, model, shape, additive, d_negative, c2c, factor, base, draw0
):
    """:func:`_apply_pulses` for the device models whose step depends on the weight: the step is
    the device's up or down step times :func:`step_factor` f(w), with the cycle-to-cycle noise
    multiplicative, step f (1 + c2c xi), or additive, step (f + c2c xi); clipped to the bounds."""
    for k in range(cols.size):
        c = cols[k]
        j = c >> ENTRY_SHIFT
        down = (c & np.uint32(1)) ^ d_negative  # 1: down (sign(x_j) = sign(d_i)), 0: up
        w = np.float64(w_row[j])
        lo, hi = table[2, j], table[3, j]
        f = step_factor(model, down, w, lo, hi, extra_row[j, 0], extra_row[j, 1], shape)
        move = table[down, j]  # +up or -down
        if c2c > 0.0:
            noise = factor[k]
            if noise != noise:
                noise = _c2c_redraw(j, c2c, base, draw0)
            move *= (f - 1.0 + noise) if additive else f * noise
        else:
            move *= f
        w_row[j] = min(max(w + move, lo), hi)


@jit
def pulsed_update_shaped(
    weights,
    devices,
    means,
    scales,
    extra,
    model,
    shape,
    additive,
    xs,
    ds,
    lr,
    dw_min,
    bl,
    c2c,
    update_management,
    bl_management,
    stream,
):
    """Apply the B rank-1 pulsed updates of ``xs`` (B, N) and ``ds`` (B, M), C-contiguous float32, to
    ``weights`` (M, N) float32 in place.

    ``devices`` (M, N, 4) int16, ``means`` and ``scales`` (4,): the packed device parameters.
    ``model``, ``shape``, ``extra`` (M, N, 2) float32, ``additive``: how the step depends on the
    weight (devices.DeviceModel; MODEL_CONSTANT: it does not, and the rest is not read).
    ``stream``: uint64 [key, counter of the first update].

    Returns the total number of coincidences (device steps) applied, or -1 when ``xs`` and -2
    when ``ds`` holds NaN or inf (then nothing is changed).
    """
    n_batch, n_cols = xs.shape
    n_rows = ds.shape[1]
    xmax, dmax = np.zeros(n_batch), np.zeros(n_batch)
    for b in range(n_batch):
        finite_x, xmax[b] = _finite_abs_max(xs[b])
        finite_d, dmax[b] = _finite_abs_max(ds[b])
        if not finite_x:
            return -1
        if not finite_d:
            return -2
    key, counter = stream[0], stream[1]
    base_d = np.empty(n_batch, dtype=np.uint64)
    base_c2c = np.empty(n_batch, dtype=np.uint64)
    for b in range(n_batch):
        base_d[b] = call_base(key, counter + np.uint64(b), TAG_TRAIN_D)
        base_c2c[b] = call_base(key, counter + np.uint64(b), TAG_C2C)
    # Pass 1, per update b: the pulse amplitudes, the column trains inverted into per-slot column
    # lists (flat: slot s of update b is cols[start[b, s]:start[b, s + 1]]) and the row trains.
    # (An update without pulses keeps n_slots[b] = 0 and all-zero trains.)
    n_slots = np.zeros(n_batch, dtype=np.int64)
    amp_d = np.zeros(n_batch)
    col_mask = np.zeros((n_batch, n_cols), dtype=np.uint64)
    row_masks = np.zeros((n_batch, n_rows), dtype=np.uint64)
    start = np.zeros((n_batch, bl + 1), dtype=np.int64)
    fired = np.zeros(n_batch, dtype=np.uint64)  # the slots in which some row of update b fires
    threshold = np.empty(max(n_rows, n_cols), dtype=np.uint64)  # _trains' scratch
    row_count = np.zeros(n_rows + 1, dtype=np.int64)  # row i: the updates that pulse it, counted
    live = np.empty(max(n_rows, n_cols), dtype=np.int64)
    for b in range(n_batch):
        if xmax[b] == 0.0 or dmax[b] == 0.0 or lr == 0.0:
            continue  # n_slots[b] = 0: no pulse
        amp_d[b], amp_x, n_slots[b] = pulse_amplitudes(
            xmax[b], dmax[b], lr, dw_min, bl, update_management, bl_management
        )
        # The row trains first: the column trains (and column lists) are needed only in the slots
        # where some row fires, usually a few (errors are small), so only those are drawn.
        _trains(base_d[b], ds[b], amp_d[b], n_slots[b], row_masks[b], _ALL_SLOTS, threshold, live)
        fired[b] = 0
        for i in range(n_rows):
            fired[b] |= row_masks[b, i]
            row_count[i + 1] += np.int64(row_masks[b, i] != 0)
        if not fired[b]:
            continue
        base_x = call_base(key, counter + np.uint64(b), TAG_TRAIN_X)
        _trains(base_x, xs[b], amp_x, n_slots[b], col_mask[b], fired[b], threshold, live)
        for slot in range(n_slots[b]):
            if (fired[b] >> np.uint64(slot)) & np.uint64(1):
                start[b, slot + 1] = _count_slot(col_mask[b], np.uint64(slot))
    offset = 0
    for b in range(n_batch):
        for slot in range(bl + 1):
            offset += start[b, slot]
            start[b, slot] = offset
    # The column lists carry each column's x_j > 0 in the lowest bit (see _apply_pulses). Each list
    # is written branch-free: every column is stored, and the position advances when it fires
    # (one entry of slack at the end).
    cols = np.empty(offset + 1, dtype=np.uint32)
    entry = np.empty(n_cols, dtype=np.uint32)
    for b in range(n_batch):
        if not fired[b]:
            continue
        for j in range(n_cols):
            entry[j] = (np.uint32(j) << ENTRY_SHIFT) | np.uint32(xs[b, j] > 0)
        for slot in range(n_slots[b]):
            if not (fired[b] >> np.uint64(slot)) & np.uint64(1):
                continue  # no row fires in this slot: its column list stays empty
            position = start[b, slot]
            shift = np.uint64(slot)
            masks = col_mask[b]
            for j in range(n_cols):
                cols[position] = entry[j]
                position += np.int64((masks[j] >> shift) & np.uint64(1))
    # The updates that pulse each row, in order (row i: row_updates[row_count[i]:row_count[i + 1]]).
    for i in range(n_rows):
        row_count[i + 1] += row_count[i]
    row_updates = np.empty(row_count[n_rows], dtype=np.int64)
    filled = row_count[:n_rows].copy()
    for b in range(n_batch):
        if not fired[b]:
            continue
        for i in range(n_rows):
            if row_masks[b, i]:
                row_updates[filled[i]] = b
                filled[i] += 1
    packed = devices.reshape(devices.size).view(np.int64).reshape(n_rows, n_cols)
    # Pass 2, row by row and, within a row, update by update: a device still receives its pulses
    # in the order of the updates (and of the slots within one), while the row's weights and
    # device parameters stay in cache for the whole batch. Devices are independent, and every
    # draw is addressed by (b, i, j, slot), so this order gives the same result as update-major.
    row_buffer = np.empty(n_cols, dtype=np.float64)
    raw = np.empty(n_cols, dtype=np.uint64)
    factor = np.empty(n_cols, dtype=np.float64)
    table = np.empty((4, n_cols), dtype=np.float64)
    total = 0
    for i in range(n_rows):
        pulsed = row_count[i + 1] - row_count[i]
        if not pulsed:
            continue
        row = weights[i]
        # Else decode only the pulsed devices, as they are reached (constant step only).
        decoded = pulsed > 1 or model != MODEL_CONSTANT
        if decoded:
            _decode_row(packed[i], means, scales, table)
        cell0 = i * n_cols
        for m in range(row_count[i], row_count[i + 1]):
            b = row_updates[m]
            row_mask = row_masks[b, i]
            d_negative = np.uint32(ds[b, i] <= 0)
            # Within one update a device's weight is carried in float64 and stored once: rows
            # with pulses in several slots accumulate in a float64 copy of the row.
            several = (row_mask & (row_mask - np.uint64(1))) != 0
            if several:
                for j in range(n_cols):
                    row_buffer[j] = row[j]
            for slot in range(n_slots[b]):
                first, last = start[b, slot], start[b, slot + 1]
                if first == last or not (row_mask >> np.uint64(slot)) & np.uint64(1):
                    continue
                total += last - first
                lst = cols[first:last]
                draw0 = cell0 * MAX_SLOTS + slot  # the noise of (i, j) is draw j * MAX_SLOTS + draw0
                if c2c > 0.0:  # factor[k]: 1 + c2c xi, or NaN where the fast path rejected
                    fill_normals_fast(base_c2c[b], lst, ENTRY_SHIFT, MAX_SLOTS, draw0, c2c, 1.0, raw, factor)
                noise = (c2c, factor, base_c2c[b], draw0)
                shaped = (extra[i], model, shape, additive, d_negative)
                if model != MODEL_CONSTANT and several:
                    _apply_pulses_shaped(row_buffer, lst, table, *shaped, *noise)
                elif model != MODEL_CONSTANT:
                    _apply_pulses_shaped(row, lst, table, *shaped, *noise)
                elif decoded and several:
                    _apply_pulses(row_buffer, lst, table, d_negative, *noise)
                elif decoded:
                    _apply_pulses(row, lst, table, d_negative, *noise)
                elif several:
                    _apply_pulses_packed(row_buffer, lst, packed[i], means, scales, d_negative, *noise)
                else:
                    _apply_pulses_packed(row, lst, packed[i], means, scales, d_negative, *noise)
            if several:
                for j in range(n_cols):
                    row[j] = row_buffer[j]
    return total


@jit
def pulsed_update(
    weights, devices, means, scales, xs, ds, lr, dw_min, bl, c2c, update_management, bl_management, stream
):
    """:func:`pulsed_update_shaped` on constant-step devices (NUMERICS.md 3.2), the paper's model."""
    return pulsed_update_shaped(
        weights,
        devices,
        means,
        scales,
        np.zeros((1, 1, 2), dtype=np.float32),
        MODEL_CONSTANT,
        np.zeros(6),
        False,
        xs,
        ds,
        lr,
        dw_min,
        bl,
        c2c,
        update_management,
        bl_management,
        stream,
    )


def _train_np(base: np.uint64, first: np.ndarray, prob: np.ndarray, n_slots: int) -> np.ndarray:
    """Twin of ``_trains``: the slot bits as (len, n_slots) bools."""
    threshold = (np.minimum(prob, 1.0) * _TWO32).astype(np.uint64)
    half = (n_slots + 1) // 2
    r = draw_np(base, first[:, None] + np.arange(half, dtype=np.uint64)[None, :])
    bits = np.empty((prob.size, 2 * half), dtype=bool)
    bits[:, 0::2] = (r & _LOW32) < threshold[:, None]
    bits[:, 1::2] = (r >> _S32) < threshold[:, None]
    bits = bits[:, :n_slots]
    bits[prob <= 0] = False
    bits[prob >= 1] = True
    return bits


def step_factor_np(model, down, w, lo, hi, e_up, e_down, shape) -> np.ndarray:
    """Twin of :func:`step_factor` on arrays (``down`` boolean)."""
    if model == MODEL_LINEAR:
        return 1.0 - np.where(down, e_down, e_up) * w
    span = hi - lo
    safe = np.where(span > 0, span, 1.0)
    if model == MODEL_EXP:
        z = 2.0 * shape[EXP_A] * w / safe + shape[EXP_B]
        with np.errstate(over="ignore"):
            f = np.where(
                down,
                1.0 - shape[EXP_A_DOWN] * np.exp(-shape[EXP_GAMMA_DOWN] * z),
                1.0 - shape[EXP_A_UP] * np.exp(shape[EXP_GAMMA_UP] * z),
            )
        f = np.maximum(f, 0.0)
    elif model == MODEL_POW:
        base = np.maximum(np.where(down, w - lo, hi - w) / safe, 0.0)
        f = base ** np.where(down, e_down, e_up)
    else:
        return np.ones_like(w)
    return np.where(span > 0, f, 0.0)


def pulsed_update_shaped_reference(
    weights: np.ndarray,
    devices: np.ndarray,
    means: np.ndarray,
    scales: np.ndarray,
    extra: np.ndarray,
    model: int,
    shape: np.ndarray,
    additive: bool,
    xs: np.ndarray,
    ds: np.ndarray,
    lr: float,
    dw_min: float,
    bl: int,
    c2c: float,
    update_management: bool,
    bl_management: bool,
    key: int,
    counter: int,
) -> int:
    """NumPy twin of :func:`pulsed_update_shaped` (same draws), vectorised over the devices slot
    by slot."""
    n_batch, n_cols = xs.shape
    n_rows = ds.shape[1]
    cols = np.arange(n_cols, dtype=np.uint64)
    rows = np.arange(n_rows, dtype=np.uint64)
    up, down, lo, hi = (means[k] * (1.0 + scales[k] * devices[..., k]) for k in range(4))
    e_up, e_down = (extra[..., k].astype(np.float64) for k in range(2)) if model else (None, None)
    total = 0
    for b in range(n_batch):
        x, d = xs[b].astype(np.float64), ds[b].astype(np.float64)
        xmax, dmax = np.abs(x).max(), np.abs(d).max()
        if xmax == 0 or dmax == 0 or lr == 0:
            continue
        amp_d, amp_x, n_slots = pulse_amplitudes.py_func(
            xmax, dmax, lr, dw_min, bl, update_management, bl_management
        )
        base_x, base_d, base_c2c = (
            call_base_np(key, counter + b, tag) for tag in (TAG_TRAIN_X, TAG_TRAIN_D, TAG_C2C)
        )
        train_x = _train_np(base_x, cols * 32, amp_x * np.abs(x), n_slots)
        train_d = _train_np(base_d, rows * 32, amp_d * np.abs(d), n_slots)
        moving_down = (d[:, None] > 0) == (x[None, :] > 0)
        step = np.where(moving_down, down, up)
        direction = np.where(moving_down, -1.0, 1.0)
        cell = rows[:, None] * n_cols + cols[None, :]
        w = weights.astype(np.float64)  # carried in float64 within one update, stored once
        for slot in range(n_slots):
            hit = train_d[:, slot][:, None] & train_x[:, slot][None, :]
            total += int(hit.sum())
            dw = step[hit]
            if model != MODEL_CONSTANT:
                at = (w[hit], lo[hit], hi[hit], e_up[hit], e_down[hit])
                f = step_factor_np(model, moving_down[hit], *at, shape)
            if c2c > 0:
                noise = 1.0 + c2c * normal_np(base_c2c, cell[hit] * MAX_SLOTS + slot)
                if model == MODEL_CONSTANT:
                    dw = dw * noise
                else:
                    dw = dw * ((f - 1.0 + noise) if additive else f * noise)
            elif model != MODEL_CONSTANT:
                dw = dw * f
            w[hit] = np.clip(w[hit] + direction[hit] * dw, lo[hit], hi[hit])
        weights[...] = w.astype(np.float32)
    return total


def pulsed_update_reference(
    weights: np.ndarray,
    devices: np.ndarray,
    means: np.ndarray,
    scales: np.ndarray,
    xs: np.ndarray,
    ds: np.ndarray,
    lr: float,
    dw_min: float,
    bl: int,
    c2c: float,
    update_management: bool,
    bl_management: bool,
    key: int,
    counter: int,
) -> int:
    """NumPy twin of :func:`pulsed_update` (same draws): constant-step devices."""
    return pulsed_update_shaped_reference(
        weights,
        devices,
        means,
        scales,
        np.zeros((*devices.shape[:2], 2), dtype=np.float32),
        MODEL_CONSTANT,
        np.zeros(6),
        False,
        xs,
        ds,
        lr,
        dw_min,
        bl,
        c2c,
        update_management,
        bl_management,
        key,
        counter,
    )
