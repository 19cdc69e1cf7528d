"""The square lattice's point group D4 on scalar and vector fields, and models made equivariant by it."""

import itertools

import numpy as np
import pytest
import torch

from nnphys.io import DataError, load_checkpoint
from nnphys.models import symmetry
from nnphys.neural_operator.evaluate import evaluate
from nnphys.neural_operator.train import train
from nnphys.physics import poisson

CPU = torch.device("cpu")
E = [(1, 2)]  # (phi, Ex, Ey): channels 1 and 2 are a vector


def exact_solver(p):
    """rho (N, 1, n, n) -> (phi, Ex, Ey) by the reference solver (float64)."""
    def solve(rho):
        r = rho.numpy()[:, 0]
        return torch.from_numpy(np.stack(poisson.solve_batch(r - r.mean(axis=(-2, -1), keepdims=True), p), 1))
    return solve


@pytest.mark.parametrize("boundary, solver", [("periodic", "fft"), ("dirichlet", "dst")])
def test_the_poisson_solution_operator_is_d4_equivariant_with_e_a_vector(boundary, solver):
    """The physics fixes the transformation law: phi rotates as a scalar, (Ex, Ey) as a vector."""
    p = poisson.Params(n=16, n_samples=3, boundary=boundary, solver=solver)
    rho = torch.from_numpy(poisson.charge_density(np.random.default_rng(0), 3, p)[:, None])
    solve = exact_solver(p)
    assert symmetry.equivariance_error(solve, rho, (), E) < 1e-12
    assert symmetry.equivariance_error(solve, rho, (), [(2, 1)]) > 0.1  # components swapped: wrong law
    assert symmetry.equivariance_error(solve, rho, (), ()) > 0.1  # E taken for two scalars: wrong law


def test_the_eight_elements_form_a_group():
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    images = [symmetry.act(g, x, E) for g in symmetry.ELEMENTS]
    assert len({tuple(i.flatten().tolist()) for i in images}) == 8  # all distinct on a generic field
    for g, h in itertools.product(symmetry.ELEMENTS, repeat=2):
        gh = symmetry.act(g, symmetry.act(h, x, E), E)
        assert any(torch.equal(gh, i) for i in images)  # closed under composition
    for g in symmetry.ELEMENTS:
        assert torch.equal(symmetry.act_inverse(g, symmetry.act(g, x, E), E), x)


def test_group_averaging_makes_any_network_exactly_equivariant():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.GELU(),
                              torch.nn.Conv2d(8, 3, (3, 5), padding=(1, 2))).double()  # not even square kernels
    x = torch.randn(4, 1, 12, 12, dtype=torch.float64)
    sym = symmetry.Symmetrized(net, (), E)
    with torch.no_grad():
        assert symmetry.equivariance_error(net, x, (), E) > 0.1
        assert symmetry.equivariance_error(sym, x, (), E) < 1e-14
        for g in symmetry.ELEMENTS:  # rotating the input rotates the output
            torch.testing.assert_close(sym(symmetry.act(g, x)), symmetry.act(g, sym(x), E), rtol=0, atol=1e-13)


def test_augmentation_transforms_each_sample_by_its_own_element():
    x = torch.randn(16, 3, 6, 6)
    elements = torch.arange(16) % 8
    out = symmetry.act_each(elements, x, E)
    for i in range(16):
        assert torch.equal(out[i:i + 1], symmetry.act(symmetry.ELEMENTS[i % 8], x[i:i + 1], E))


@pytest.mark.parametrize("mode", ["none", "augment", "d4"])
def test_symmetry_options_train_and_the_d4_model_is_exactly_equivariant(poisson_file, tmp_path, run_config, mode):
    cfg = run_config("poisson", "unet")
    cfg["model"]["symmetry"] = mode
    out = tmp_path / mode
    train(cfg, poisson_file, out, CPU, show_progress=False)
    m = evaluate(out / "model.pt", poisson_file, out, CPU)["metrics"]
    assert np.isfinite(m["rel_l2_mean"])
    if mode == "d4":
        assert m["d4_equivariance_error"] < 1e-5  # float32 rounding
    else:
        assert m["d4_equivariance_error"] > 1e-3  # a U-Net is not rotation-equivariant by itself


def test_train_samples_trains_on_that_many_samples(poisson_file, tmp_path, run_config):
    cfg = run_config("poisson", "fno", train_samples=5)
    train(cfg, poisson_file, tmp_path / "a", CPU, show_progress=False)
    full = run_config("poisson", "fno")
    train(full, poisson_file, tmp_path / "b", CPU, show_progress=False)
    stats = [load_checkpoint(tmp_path / d / "model.pt")["normalization"]["in_std"] for d in "ab"]
    assert stats[0] != stats[1]  # statistics of the 5 samples only
    with pytest.raises(DataError, match="train_samples is 500, the training split has 24"):
        train(run_config("poisson", "fno", train_samples=500), poisson_file, tmp_path / "c", CPU,
              show_progress=False)
