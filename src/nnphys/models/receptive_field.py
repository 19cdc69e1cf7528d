"""Receptive fields of the CNN operators, in lattice cells, from their hyperparameters (no torch).

The receptive field of an output cell is the set of input cells it depends on. Per axis it is an interval,
and the same along both axes (square kernels, equal strides). For a chain of layers, layer ``l`` with
kernel ``k_l`` and stride ``s_l``, the classical recurrence gives its side in input cells::

    RF_0 = 1,  J_0 = 1
    RF_l = RF_{l-1} + (k_l - 1) · J_{l-1}        (J: input cells between neighbouring cells of layer l)
    J_l  = J_{l-1} · s_l

A 3x3 convolution adds ``2 J``, a stride-2 one then doubles ``J``, a ``p x p`` pixel-unshuffle is a
``k = s = p`` window, and upsampling by ``f`` (nearest, or a pixel shuffle) has ``k = 1``, ``s = 1/f``.
Upsampling makes the exact interval depend on where the output cell sits relative to the coarse cells:
an interval of ``L`` fine cells covers ``ceil(L/f)`` or one more coarse cells. So the intervals here are
propagated backwards exactly, cell index by cell index (:class:`Window`, :class:`Up`), for every output
position of one period (``patch · 2**depth`` cells); the receptive field of a configuration is the widest.
Paths that branch (the U-Net's skips, a residual block's shortcut) give the hull of their intervals.

The architectures, as built in :mod:`nnphys.models.encoder_decoder` and :mod:`nnphys.models.unet`
(``block``: two 3x3 convolutions; a residual block's shortcut is 1x1 and adds nothing):

- ``encoder_decoder``: block, ``depth`` stride-2 3x3 convolutions, a 1x1 to the latent channels,
  ``depth`` times (upsample 2, 3x3), block, 1x1; ``residual``: a block after each stride-2 and each upsampling
  3x3 too.
- ``unet``: unshuffle ``patch``, block, ``depth`` times (stride-2 3x3, block); back up, at each level
  (upsample 2, 3x3) concatenated with the encoder's map of that level, then block; 1x1, shuffle ``patch``.

On an ``n x n`` periodic lattice, a receptive field of at least ``n`` cells sees every input cell (wrapped);
a smaller one cannot represent a non-local operator such as the Poisson solve. ``fno`` and ``deeponet``
mix the whole field in every layer (Fourier modes; an MLP over all points): their receptive field is the
domain, :data:`GLOBAL`, and :func:`receptive_field` returns None for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nnphys.models import defaults

CNN = ("unet", "encoder_decoder")
GLOBAL = ("fno", "deeponet")


@dataclass(frozen=True)
class Window:
    """Output cell ``j`` reads input cells ``s j - offset .. s j - offset + k - 1``: a ``k``-wide kernel at
    stride ``s`` (a 3x3 convolution padded by 1: ``offset`` 1; a ``p x p`` unshuffle: ``k = s = p``, offset 0)."""

    kernel: int
    stride: int = 1
    offset: int = 0

    def inputs(self, lo: int, hi: int) -> tuple[int, int]:
        return self.stride * lo - self.offset, self.stride * hi - self.offset + self.kernel - 1


@dataclass(frozen=True)
class Up:
    """Fine cell ``i`` reads coarse cell ``floor(i / f)``: nearest upsampling and pixel shuffle alike."""

    factor: int

    def inputs(self, lo: int, hi: int) -> tuple[int, int]:
        return lo // self.factor, hi // self.factor


CONV3, DOWN, ONE = Window(3, 1, 1), Window(3, 2, 1), Window(1)
BLOCK = [CONV3, CONV3]


def paths(architecture: str, depth: int, patch: int = 1, residual: bool = False) -> list[list[Window | Up]]:
    """Every input-to-output path of layers of a CNN (input first), one per U-Net level, one for an
    encoder-decoder. ``residual`` adds the encoder-decoder's blocks after each resampling; a U-Net's residual
    shortcuts add no path of their own."""
    if architecture == "encoder_decoder":
        level = BLOCK if residual else []
        return [BLOCK + ([DOWN] + level) * depth + [ONE] + ([Up(2), CONV3] + level) * depth + BLOCK + [ONE]]
    if architecture != "unet":
        raise ValueError(f"no receptive field arithmetic for architecture {architecture!r}; CNNs: {', '.join(CNN)}")
    encoder = [Window(patch, patch)] + BLOCK
    decoder_level = [Up(2), CONV3] + BLOCK  # up to a level, then its merge block
    out = [ONE, Up(patch)]
    # Level L's skip enters the merge block of level L (the deepest level, L = depth, has none), then rises.
    return [encoder + ([DOWN] + BLOCK) * level + (BLOCK if level < depth else []) + decoder_level * level + out
            for level in range(depth + 1)]


def support(layers: Sequence[Window | Up], position: int) -> tuple[int, int]:
    """The input cells ``(first, last)`` that output cell ``position`` of a path reads, on an infinite lattice."""
    lo = hi = position
    for layer in reversed(layers):
        lo, hi = layer.inputs(lo, hi)
    return lo, hi


def period(architecture: str, hyper: Mapping[str, Any]) -> int:
    """Output positions repeat their input intervals (shifted) every ``patch · 2**depth`` cells."""
    h = {**defaults(architecture), **hyper}
    return h.get("patch", 1) * 2 ** h["depth"]


def interval(architecture: str, hyper: Mapping[str, Any], position: int) -> tuple[int, int]:
    """The hull ``(first, last)`` of the input cells output cell ``position`` depends on; unset
    hyperparameters take the architecture's defaults."""
    h = {**defaults(architecture), **hyper}
    spans = [support(p, position) for p in paths(architecture, h["depth"], h.get("patch", 1), h.get("residual", False))]
    return min(s[0] for s in spans), max(s[1] for s in spans)


def spans(architecture: str, hyper: Mapping[str, Any]) -> list[tuple[int, int]]:
    """Per axis, for each output position ``u`` of one period (``u = 0 .. period - 1``), the input cells it reads
    as offsets ``(first - u, last - u)``; position ``u + m · period`` reads the same offsets."""
    return [(lo - u, hi - u) for u in range(period(architecture, hyper))
            for lo, hi in [interval(architecture, hyper, u)]]


def receptive_field(architecture: str, hyper: Mapping[str, Any]) -> int | None:
    """The receptive field's side in lattice cells: the widest over the output positions; None for
    architectures that see the whole domain (:data:`GLOBAL`)."""
    if architecture in GLOBAL:
        return None
    return max(hi - lo + 1 for lo, hi in spans(architecture, hyper))
