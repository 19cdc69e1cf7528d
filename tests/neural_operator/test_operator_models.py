"""Operator architectures: shapes for any channel count, translation equivariance, a batch they can overfit."""

import importlib
import inspect
import subprocess
import sys

import pytest
import torch

from nnphys.models import OPERATORS, build, defaults

SMALL = {"fno": {"width": 8, "modes": 4, "layers": 2}, "unet": {"width": 4, "depth": 2},
         "fno-res": {"architecture": "fno", "width": 8, "modes": 4, "layers": 2, "residual": True},
         "unet-res-patch": {"architecture": "unet", "width": 4, "depth": 2, "residual": True, "patch": 2},
         "encoder_decoder": {"width": 4, "depth": 2, "latent_channels": 4},
         "encoder_decoder-res": {"architecture": "encoder_decoder", "width": 4, "depth": 2, "latent_channels": 4,
                                 "residual": True},
         "deeponet": {"width": 64, "depth": 3, "basis": 32, "shape": (16, 16)}}


def build_small(name, c_in, c_out, **kw):
    """The architecture of SMALL[name] (an entry's own ``architecture`` if it names one)."""
    hyper = {**SMALL[name], **kw}
    return build(hyper.pop("architecture", name), c_in, c_out, **hyper)


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("channels", [(1, 1), (1, 3), (2, 1)])
@pytest.mark.parametrize("periodic", [True, False])
def test_shapes(name, channels, periodic):
    torch.manual_seed(0)
    model = build_small(name, *channels, periodic=periodic)
    y = model(torch.randn(3, channels[0], 16, 16))
    assert y.shape == (3, channels[1], 16, 16)
    assert torch.isfinite(y).all()


def test_unknown_architecture_is_named():
    with pytest.raises(ValueError, match="'resnet'.*fno"):
        build("resnet", 1, 1)


@pytest.mark.parametrize("name", ["unet", "encoder_decoder"])
def test_grid_not_divisible_is_named(name):
    with pytest.raises(ValueError, match=rf"{name} with depth 2 needs a grid divisible by 4, got 18x18"):
        build(name, 1, 1, **SMALL[name])(torch.randn(1, 1, 18, 18))


def test_a_deeponet_runs_on_its_own_grid_only_and_is_periodic_if_asked():
    torch.manual_seed(0)
    net = build_small("deeponet", 1, 2)
    with pytest.raises(ValueError, match="deeponet built for a 16x16 grid, got 32x32"):
        net(torch.randn(1, 1, 32, 32))
    # periodic trunk inputs: the basis functions at y and y + 1 agree, so the lattice's opposite edges join smoothly
    y = net.points(torch.device("cpu"), torch.float64).view(256, 2, -1, 2)  # (point, cos|sin, harmonic, axis)
    assert y.shape == (256, 2, net.harmonics, 2)
    torch.testing.assert_close(y[:, 0] ** 2 + y[:, 1] ** 2, torch.ones(256, net.harmonics, 2, dtype=torch.float64))
    torch.testing.assert_close(y[:, 0, 1], 2 * y[:, 0, 0] ** 2 - 1)  # cos 2θ: the second harmonic


def test_a_non_periodic_deeponet_reads_half_periods_whose_sines_vanish_on_the_boundary():
    net = build("deeponet", 1, 1, shape=(16, 16), periodic=False, width=8, basis=4, harmonics=3)
    y = net.points(torch.device("cpu"), torch.float64).view(16, 16, 2, 3, 2)  # (i, j, cos|sin, harmonic, axis)
    sines, cosines = y[:, 0, 1, :, 0], y[:, 0, 0, :, 0]  # along the first axis
    assert torch.all(sines[:, 0] > 0) and sines[[0, -1], 0].max() < 0.1  # one half period: zero at both edges
    assert torch.all(cosines[[0, -1], :].abs() > 0.9)  # the cosines do not vanish there
    torch.testing.assert_close(sines.flip(0), sines * torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64))


def test_build_gives_the_grid_only_to_models_built_for_one():
    assert build("deeponet", 1, 1, shape=(8, 8)).shape == (8, 8)
    assert build("fno", 1, 1, shape=(8, 8), **SMALL["fno"])(torch.randn(1, 1, 16, 16)).shape == (1, 1, 16, 16)


def test_a_patched_unet_needs_patch_times_two_to_the_depth():
    net = build_small("unet-res-patch", 1, 1)
    assert net(torch.randn(1, 1, 8, 8)).shape == (1, 1, 8, 8)
    with pytest.raises(ValueError, match=r"unet with patch 2 and depth 2 needs a grid divisible by 8, got 12x12"):
        net(torch.randn(1, 1, 12, 12))


def test_residual_blocks_start_as_their_shortcut_and_keep_a_linear_path():
    """The zero-initialized second convolution: at initialization a block is its (projected) input, with no
    activation after the sum, so a stack of blocks is exactly the identity, and stays linear in the input
    along the shortcuts while the bodies are still zero."""
    from nnphys.models.conv import ResBlock

    torch.manual_seed(0)
    x = torch.randn(2, 3, 8, 8)
    same, wider = ResBlock(3, 3, periodic=True), ResBlock(3, 5, periodic=True)
    torch.testing.assert_close(same(x), x)
    torch.testing.assert_close(wider(x), wider.skip(x))
    stack = torch.nn.Sequential(*(ResBlock(3, 3, periodic=True) for _ in range(6)))
    torch.testing.assert_close(stack(x), x)
    torch.testing.assert_close(stack(-2.5 * x), -2.5 * stack(x))


@pytest.mark.parametrize("periodic", [True, False])
def test_a_residual_fno_starts_linear_and_keeps_a_linear_path_through_its_spectral_layers(periodic):
    """Zero-initialized channel MLPs: at initialization the network is the linear operator P (1 + K2)(1 + K1) L (no
    GELU on the path, the projection linear); one step of training switches the MLPs on and it is nonlinear."""
    torch.manual_seed(0)
    fno = build_small("fno-res", 1, 2, periodic=periodic)
    x, y = torch.randn(2, 1, 16, 16), torch.randn(2, 1, 16, 16)
    with torch.no_grad():
        bias = fno(torch.zeros_like(x))
        torch.testing.assert_close(fno(x - 2.5 * y) - bias, (fno(x) - bias) - 2.5 * (fno(y) - bias))
    fno(x).pow(2).mean().backward()
    torch.optim.SGD(fno.parameters(), lr=0.5).step()
    with torch.no_grad():
        bias = fno(torch.zeros_like(x))
        gap = (fno(2 * x) - bias) - 2 * (fno(x) - bias)
        assert float(gap.norm() / (fno(x) - bias).norm()) > 1e-4


def test_fno_commutes_with_periodic_shifts_and_runs_on_finer_grids():
    torch.manual_seed(0)
    fno = build("fno", 1, 2, **SMALL["fno"])
    x = torch.randn(2, 1, 16, 16)
    shift = (3, 5)
    torch.testing.assert_close(fno(torch.roll(x, shift, (-2, -1))), torch.roll(fno(x), shift, (-2, -1)),
                               rtol=0, atol=1e-5)
    assert fno(torch.randn(1, 1, 32, 32)).shape == (1, 2, 32, 32)
    with pytest.raises(ValueError, match="4 modes needs a grid of at least 8x8"):
        fno(torch.randn(1, 1, 6, 6))


def test_grid_coordinates_break_equivariance():
    torch.manual_seed(0)
    fno = build("fno", 1, 1, grid=True, **SMALL["fno"])
    x = torch.randn(1, 1, 16, 16)
    assert (fno(torch.roll(x, 3, -1)) - torch.roll(fno(x), 3, -1)).abs().max() > 1e-4


@pytest.mark.parametrize("name", SMALL)
def test_overfits_one_batch(name):
    torch.manual_seed(0)
    model = build_small(name, 1, 2, **({} if name == "deeponet" else {"width": 8}))  # an MLP needs more width
    x = torch.randn(4, 1, 16, 16)
    x_hat = torch.fft.rfft2(x)
    x_hat[..., 3:-2, :] = 0
    x_hat[..., 3:] = 0
    smooth = torch.fft.irfft2(x_hat, s=(16, 16))
    y = torch.cat([smooth, torch.roll(smooth, 2, -1) ** 2], dim=1)
    y = (y - y.mean()) / y.std()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(300):
        loss = (model(x) - y).pow(2).mean()
        first = first or loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.02 * first


def _spectral_reference(conv, v):
    """K v by the definition: the kept modes times R as a complex product, in v's precision."""
    m, (h, w) = conv.modes, v.shape[-2:]
    r = torch.complex(conv.weight[..., 0], conv.weight[..., 1]).to(torch.fft.rfft2(v).dtype)
    v_hat = torch.fft.rfft2(v)
    out = torch.zeros(v.shape[0], r.shape[2], h, w // 2 + 1, dtype=v_hat.dtype)
    out[:, :, :m, :m] = torch.einsum("ncxy,coxy->noxy", v_hat[:, :, :m, :m], r[0])
    out[:, :, -m:, :m] = torch.einsum("ncxy,coxy->noxy", v_hat[:, :, -m:, :m], r[1])
    return torch.fft.irfft2(out, s=(h, w))


def test_a_float64_fno_transforms_in_float64():
    torch.manual_seed(0)
    fno = build("fno", 1, 1, **SMALL["fno"]).double()
    v = torch.randn(2, 8, 16, 16, dtype=torch.float64)
    k = fno.spectral[0]
    with torch.no_grad():
        out = k(v)
        assert out.dtype == torch.float64
        torch.testing.assert_close(out, _spectral_reference(k, v), rtol=1e-12, atol=1e-13)  # float32: ~1e-7
        assert fno(torch.randn(1, 1, 16, 16, dtype=torch.float64)).dtype == torch.float64


def test_fno_trains_under_bf16_autocast():
    """As operator training runs on CUDA; bf16 has no FFT, so the spectral part stays in float32."""
    torch.manual_seed(0)
    fno = build("fno", 1, 1, **SMALL["fno"])
    x = torch.randn(2, 1, 16, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = fno(x)
        y.float().pow(2).mean().backward()
    with torch.no_grad():
        full = fno(x)
    assert torch.isfinite(y).all() and fno.spectral[0].weight.grad is not None
    assert float((y.detach().float() - full).norm() / full.norm()) < 3e-2  # bf16 rounding of the 1x1 convolutions


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_defaults_are_the_constructor_defaults_read_without_torch(name):
    """The Snakefile fills unset hyperparameters on every invocation: it must get the constructor's defaults
    without paying for importing torch."""
    module, cls = OPERATORS[name]
    params = inspect.signature(getattr(importlib.import_module(module), cls)).parameters.values()
    assert defaults(name) == {p.name: p.default for p in params
                              if p.default is not inspect.Parameter.empty and p.name != "shape"}
    probe = f"import sys; from nnphys.models import defaults; defaults({name!r}); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_one_sine_spectral_layer_holds_the_dirichlet_poisson_solution_operator():
    """The Dirichlet lattice's Laplacian is diagonal in the sine basis and the spectral gradient maps a sine to a
    cosine of the same harmonic: with weights set by hand (φ̂ = -ρ̂/λ on the (sin, sin) pair, -kπ φ̂ and -lπ φ̂ on
    the pairs with a cosine), one layer maps any ρ on an 8 × 8 lattice to the reference solver's φ, Ex and Ey."""
    import numpy as np

    from nnphys.models.fno import SineSpectralConv2d
    from nnphys.physics import lattice, poisson

    n = 8
    p = poisson.Params(n=n, boundary="dirichlet", solver="dst", laplacian="spectral")
    lam = torch.as_tensor(lattice.laplacian_eigenvalues(n, 1.0, "dirichlet", "spectral"))
    k = torch.pi * torch.arange(1, n + 1, dtype=torch.float64)
    phi_hat = -1.0 / lam  # phi_hat = -rho_hat / λ (eps0 = 1)
    layer = SineSpectralConv2d(1, 3, n).double()
    with torch.no_grad():
        layer.weight.zero_()
        layer.weight[0, 0, 0] = phi_hat                 # (sin x, sin y): phi
        layer.weight[0, 1, 1] = -k[:, None] * phi_hat   # (cos x, sin y): Ex = -d/dx phi
        layer.weight[0, 2, 2] = -k[None, :] * phi_hat   # (sin x, cos y): Ey = -d/dy phi
    rho = np.random.default_rng(0).standard_normal((4, n, n))
    expected = np.stack(poisson.solve_batch(rho, p), 1)
    got = layer(torch.as_tensor(rho)[:, None]).detach().numpy()
    assert np.allclose(got, expected, atol=1e-12 * np.abs(expected).max())


def test_a_sine_basis_fno_runs_on_a_finer_lattice_and_refuses_periodic_fields():
    torch.manual_seed(0)
    model = build("fno", 1, 3, width=4, modes=6, layers=2, periodic=False, spectral_basis="sine")
    assert model(torch.randn(2, 1, 16, 16)).shape == (2, 3, 16, 16)
    assert model(torch.randn(2, 1, 32, 32)).shape == (2, 3, 32, 32)  # the same physical modes, twice the nodes
    with pytest.raises(ValueError, match="at least 6 interior nodes"):
        model(torch.randn(1, 1, 4, 4))
    with pytest.raises(ValueError, match="periodic"):
        build("fno", 1, 1, modes=4, periodic=True, spectral_basis="sine")


@pytest.mark.parametrize("stride", [1, 2])
def test_the_concatenating_circular_convolution_equals_torchs_in_value_and_gradient(stride):
    from torch import nn

    from nnphys.models.conv import Conv2d

    torch.manual_seed(0)
    ref = nn.Conv2d(3, 4, 3, stride=stride, padding=1, padding_mode="circular").double()
    ours = Conv2d(3, 4, 3, stride=stride, padding=1, padding_mode="circular").double()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 8, 6, dtype=torch.float64, requires_grad=True)
    y_ref, y = ref(x), ours(x)
    assert torch.allclose(y, y_ref, rtol=0, atol=1e-13)
    g = torch.randn_like(y)
    grads_ref = torch.autograd.grad(y_ref, [x, ref.weight], g)
    grads = torch.autograd.grad(y, [x, ours.weight], g)
    for a, b in zip(grads, grads_ref):
        assert torch.allclose(a, b, rtol=0, atol=1e-12)
    shifted = ours(torch.roll(x, (2, 2), dims=(-2, -1)))  # circular: a shift by the stride shifts the output
    assert torch.allclose(shifted, torch.roll(y, (2 // stride, 2 // stride), dims=(-2, -1)), atol=1e-12)
