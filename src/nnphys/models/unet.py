"""U-Net: an encoder-decoder with skip connections at every resolution.

Shapes: ``(N, C_in, H, W) -> (N, C_out, H, W)`` with ``H, W`` divisible by ``2**depth``.
Level ``i`` has ``width * 2**i`` channels; the decoder concatenates the encoder's
maps of the same resolution, so fine detail does not have to pass the bottleneck.
"""

from __future__ import annotations

import torch
from torch import nn

from nnphys.models.conv import block, check_divisible, down, up


class UNet(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, width: int = 16, depth: int = 4,
                 periodic: bool = True):
        super().__init__()
        self.depth = depth
        w = [width * 2**i for i in range(depth + 1)]
        self.inc = block(in_channels, w[0], periodic)
        self.downs = nn.ModuleList(nn.Sequential(down(w[i], w[i + 1], periodic), block(w[i + 1], w[i + 1], periodic))
                                   for i in range(depth))
        self.ups = nn.ModuleList(up(w[i + 1], w[i], periodic) for i in range(depth))
        self.merges = nn.ModuleList(block(2 * w[i], w[i], periodic) for i in range(depth))
        self.out = nn.Conv2d(w[0], out_channels, 1)
        nn.init.zeros_(self.out.weight)  # start from a zero prediction: the He-initialized path may be large

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_divisible(x.shape[-2], x.shape[-1], self.depth, "unet")
        skips = [self.inc(x)]
        for d in self.downs:
            skips.append(d(skips[-1]))
        h = skips.pop()
        for i in reversed(range(self.depth)):
            h = self.merges[i](torch.cat([skips.pop(), self.ups[i](h)], dim=1))
        return self.out(h)
