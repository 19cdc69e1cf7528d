"""Convolution building blocks shared by the encoder-decoder and the U-Net."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nnphys.models.dropout import dropout as drop


class Conv2d(nn.Conv2d):
    """``nn.Conv2d`` whose circular padding is two concatenations.

    torch pads circularly by copying slices into a new tensor, and differentiates that through as many
    slice copies; ``cat`` does the same in one copy each way. Same result, same parameters; 6 % of a U-Net's and
    12 % of an encoder-decoder's training step on one CPU thread (batch 8, 32^2).
    """

    def _conv_forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        if self.padding_mode != "circular":
            return super()._conv_forward(x, weight, bias)
        ph, pw = self.padding
        if pw:
            x = torch.cat([x[..., -pw:], x, x[..., :pw]], dim=-1)
        if ph:
            x = torch.cat([x[..., -ph:, :], x, x[..., :ph, :]], dim=-2)
        return F.conv2d(x, weight, bias, self.stride, 0, self.dilation, self.groups)


def conv3(c_in: int, c_out: int, periodic: bool, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution; circular padding on periodic fields so no edge is special.

    He initialization: it keeps the signal's variance through the ~20 GELU layers of a deep
    U-Net path (torch's default shrinks it by ~3x per layer, and training then crawls).
    """
    conv = Conv2d(c_in, c_out, 3, stride=stride, padding=1, padding_mode="circular" if periodic else "zeros")
    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    nn.init.zeros_(conv.bias)
    return conv


class ResBlock(nn.Module):
    """``x -> x' + conv(GELU(conv(x)))``, ``x'`` = ``x`` or its 1x1 projection to ``c_out`` channels.

    No activation after the sum (the identity mapping of He et al. 2016, "Identity mappings in deep residual
    networks"; the blocks of EDSR, Lim et al. 2017): a stack of blocks keeps a linear path from input to
    output, which operators close to linear (Poisson, a heat step) need; against ``GELU(x' + ...)`` it lowered the
    U-Nets' errors at equal training by 15-30 % (README, operator-study section).
    The second convolution starts at zero, so each block starts as its shortcut (a deep path neither grows
    nor shrinks the signal at initialization) and trains at a high learning rate without normalization
    (GroupNorm would normalize each sample's amplitude away, which a linear operator such as rho -> phi
    needs; measured worse: 3.2e-2 against 2.4e-2 on Poisson 32^2).
    """

    def __init__(self, c_in: int, c_out: int, periodic: bool):
        super().__init__()
        self.body = nn.Sequential(conv3(c_in, c_out, periodic), nn.GELU(), conv3(c_out, c_out, periodic))
        nn.init.zeros_(self.body[-1].weight)
        self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.body(x)


def block(c_in: int, c_out: int, periodic: bool, residual: bool = False, dropout: float = 0.0) -> nn.Module:
    """Two 3x3 convolutions, each followed by GELU, or a :class:`ResBlock` if ``residual``; its output features
    dropped with probability ``dropout`` (training and Monte Carlo passes only, :mod:`nnphys.models.dropout`)."""
    body = (ResBlock(c_in, c_out, periodic) if residual else
            nn.Sequential(conv3(c_in, c_out, periodic), nn.GELU(), conv3(c_out, c_out, periodic), nn.GELU()))
    return nn.Sequential(body, drop(dropout)) if dropout else body


def down(c_in: int, c_out: int, periodic: bool) -> nn.Sequential:
    """Halve the resolution with a strided convolution."""
    return nn.Sequential(conv3(c_in, c_out, periodic, stride=2), nn.GELU())


def up(c_in: int, c_out: int, periodic: bool) -> nn.Sequential:
    """Double the resolution: nearest upsampling, then a 3x3 convolution.

    (A transposed convolution cannot pad circularly; this pair can, and avoids checkerboard artefacts.)
    """
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), conv3(c_in, c_out, periodic), nn.GELU())


def check_divisible(h: int, w: int, depth: int, name: str, patch: int = 1) -> None:
    """A model that halves the grid ``depth`` times (after ``patch x patch`` unshuffling) needs sides divisible
    by ``patch * 2**depth``."""
    f = patch * 2**depth
    if h % f or w % f:
        what = f"patch {patch} and depth {depth}" if patch > 1 else f"depth {depth}"
        raise ValueError(f"{name} with {what} needs a grid divisible by {f}, got {h}x{w}")
