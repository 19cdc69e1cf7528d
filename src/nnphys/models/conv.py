"""Convolution building blocks shared by the encoder-decoder and the U-Net."""

from __future__ import annotations

from torch import nn


def conv3(c_in: int, c_out: int, periodic: bool, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution; circular padding on periodic fields so no edge is special.

    He initialization: it keeps the signal's variance through the ~20 GELU layers of a deep
    U-Net path (torch's default shrinks it by ~3x per layer, and training then crawls).
    """
    conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, padding_mode="circular" if periodic else "zeros")
    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    nn.init.zeros_(conv.bias)
    return conv


def block(c_in: int, c_out: int, periodic: bool) -> nn.Sequential:
    """Two 3x3 convolutions, each followed by GELU."""
    return nn.Sequential(conv3(c_in, c_out, periodic), nn.GELU(), conv3(c_out, c_out, periodic), nn.GELU())


def down(c_in: int, c_out: int, periodic: bool) -> nn.Sequential:
    """Halve the resolution with a strided convolution."""
    return nn.Sequential(conv3(c_in, c_out, periodic, stride=2), nn.GELU())


def up(c_in: int, c_out: int, periodic: bool) -> nn.Sequential:
    """Double the resolution: nearest upsampling, then a 3x3 convolution.

    (A transposed convolution cannot pad circularly; this pair can, and avoids checkerboard artefacts.)
    """
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), conv3(c_in, c_out, periodic), nn.GELU())


def check_divisible(h: int, w: int, depth: int, name: str) -> None:
    """A model that halves the grid ``depth`` times needs sides divisible by 2**depth."""
    f = 2**depth
    if h % f or w % f:
        raise ValueError(f"{name} with depth {depth} needs a grid divisible by {f}, got {h}x{w}")
