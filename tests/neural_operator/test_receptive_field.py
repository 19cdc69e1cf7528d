"""Receptive fields from the hyperparameters against the networks themselves: the input cells an output cell's
gradient reaches, for randomly initialized networks on a lattice wide enough that no interval is clipped."""

import math

import pytest
import torch

from nnphys.models import build
from nnphys.models.receptive_field import (GLOBAL, Up, Window, interval, paths, period, receptive_field, spans,
                                           support)

CONFIGS = [("encoder_decoder", {"depth": d, "residual": r}) for d in (1, 2, 3, 4) for r in (False, True)] + [
    ("unet", {"depth": d, "patch": p, "residual": p == 2}) for p in (1, 2) for d in (1, 2, 3, 4)]
SMALL = {"encoder_decoder": {"width": 1, "latent_channels": 1}, "unet": {"width": 1}}


def recurrence(layers) -> float:
    """RF_l = RF_{l-1} + (k_l - 1) J_{l-1}, J_l = J_{l-1} s_l (upsampling: k = 1, s = 1/f)."""
    rf, jump = 1, 1.0
    for layer in layers:
        if isinstance(layer, Up):
            jump /= layer.factor
        else:
            rf, jump = rf + (layer.kernel - 1) * jump, jump * layer.stride
    return rf


def randomized(net: torch.nn.Module) -> torch.nn.Module:
    """Every weight random (He-scaled, so 20 GELU layers neither vanish nor overflow), every bias nonzero: the
    models start some layers at zero (a residual block's second convolution, the output layer), which would
    hide the paths through them."""
    torch.manual_seed(0)
    for p in net.parameters():
        if p.dim() > 1:
            torch.nn.init.normal_(p, std=math.sqrt(2 / p[0].numel()))
        else:
            torch.nn.init.normal_(p, std=0.1)
    return net.double()


def side(arch: str, hyper: dict, positions: range) -> int:
    """The smallest lattice side (a multiple of the period) on which every tested position's interval, shifted to
    the middle, lies inside: nothing clipped by the padding."""
    widest = max(hi - lo for lo, hi in (interval(arch, hyper, i) for i in positions))
    p = period(arch, hyper)
    return p * (widest // p + 3)


@pytest.mark.parametrize("arch,hyper", CONFIGS, ids=[f"{a}-{h}" for a, h in CONFIGS])
def test_the_gradient_of_each_output_cell_reaches_exactly_its_computed_interval(arch, hyper):
    p = period(arch, hyper)
    n = side(arch, hyper, range(p))
    net = randomized(build(arch, 1, 1, periodic=False, **SMALL[arch], **hyper))
    start = (n // 2) // p * p  # one whole period of output positions (u, u) near the middle, along the diagonal
    widths = []
    for u in range(start, start + p):
        x = torch.randn(1, 1, n, n, dtype=torch.float64, requires_grad=True)
        net(x)[0, 0, u, u].backward()
        rows, cols = (x.grad[0, 0] != 0).nonzero(as_tuple=True)
        lo, hi = interval(arch, hyper, u)
        assert 0 < lo and hi < n - 1, "the lattice clips the interval: the test would be vacuous"
        assert (rows.min().item(), rows.max().item()) == (lo, hi), f"output row {u}"
        assert (cols.min().item(), cols.max().item()) == (lo, hi), f"output column {u}"
        widths.append(hi - lo + 1)
    assert max(widths) == receptive_field(arch, hyper)


@pytest.mark.parametrize("arch,hyper", CONFIGS, ids=[f"{a}-{h}" for a, h in CONFIGS])
def test_without_upsampling_the_exact_interval_is_the_recurrence(arch, hyper):
    """The encoder part of each path (windows only): propagating cell indices gives the classical RF_l."""
    for path in paths(arch, hyper["depth"], hyper.get("patch", 1), hyper.get("residual", False)):
        encoder = path[:next((i for i, layer in enumerate(path) if isinstance(layer, Up)), len(path))]
        assert all(isinstance(layer, Window) for layer in encoder)
        widths = {support(encoder, j)[1] - support(encoder, j)[0] + 1 for j in range(8)}
        assert widths == {recurrence(encoder)}


def test_upsampling_widens_the_interval_of_some_cells_beyond_the_recurrence():
    """Why the exact propagation: the widest cell of a depth-2 encoder-decoder sees more than RF_l says."""
    (path,) = paths("encoder_decoder", 2)
    assert recurrence(path) == 21 and receptive_field("encoder_decoder", {"depth": 2}) == 23


def test_known_values_and_what_a_hyperparameter_changes():
    assert [receptive_field("encoder_decoder", {"depth": d}) for d in (1, 2, 3, 4)] == [13, 23, 43, 83]
    assert [receptive_field("unet", {"depth": d}) for d in (1, 2, 3)] == [21, 55, 123]
    assert receptive_field("unet", {"depth": 1, "patch": 2}) == 42  # every convolution on a grid of twice the spacing
    # width, residual blocks and the latent channels change no interval; unset keys take the model's defaults
    assert receptive_field("unet", {"depth": 2, "width": 64, "residual": True}) == 55
    assert receptive_field("encoder_decoder", {}) == receptive_field("encoder_decoder", {"depth": 4})


@pytest.mark.parametrize("arch,hyper", CONFIGS, ids=[f"{a}-{h}" for a, h in CONFIGS])
def test_positions_a_period_apart_read_the_same_offsets(arch, hyper):
    p = period(arch, hyper)
    for u, (first, last) in enumerate(spans(arch, hyper)):
        assert interval(arch, hyper, u + 3 * p) == (u + 3 * p + first, u + 3 * p + last)
        assert first <= 0 <= last  # every output cell reads its own input cell


@pytest.mark.parametrize("arch", GLOBAL)
def test_global_architectures_have_no_finite_receptive_field(arch):
    assert receptive_field(arch, {}) is None


def test_an_architecture_without_arithmetic_is_named():
    with pytest.raises(ValueError, match="'mlp'"):
        paths("mlp", 1)
