"""Dropout is on only in training and in Monte Carlo passes: every deterministic evaluation has it off."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch
import xarray as xr

from nnphys import predictive
from nnphys.cli import main
from nnphys.models import build
from nnphys.models.dropout import has_dropout, monte_carlo
from nnphys.neural_operator.evaluate import evaluate, load_operator, predict
from nnphys.neural_operator.mc_dropout import mc_dropout, moments
from nnphys.neural_operator.train import loss_fn, train, validate

from test_operator_models import SMALL, build_small

CPU = torch.device("cpu")


def trained_like(name: str, p: float) -> torch.nn.Module:
    """A small network of architecture ``name`` with dropout ``p``, its zero-initialized output layer randomized
    (as training would leave it) so that dropped features change the output."""
    torch.manual_seed(0)
    net = build_small(name, 1, 2, dropout=p)
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d) and not m.weight.any():
            torch.nn.init.normal_(m.weight, std=0.1)
    return net


@pytest.mark.parametrize("name", SMALL)
def test_eval_mode_is_deterministic_and_monte_carlo_passes_differ(name):
    net = trained_like(name, 0.3).eval()
    x = torch.randn(4, 1, 16, 16)
    with torch.no_grad():
        first, again = net(x), net(x)
        with monte_carlo(net):
            assert all(m.training == isinstance(m, torch.nn.Dropout) for m in net.modules())
            draws = [net(x) for _ in range(3)]
    assert torch.equal(first, again)
    assert not torch.equal(draws[0], draws[1]) and not torch.equal(draws[1], draws[2])
    assert not any(m.training for m in net.modules())  # the modes before the passes are back


@pytest.mark.parametrize("name", SMALL)
def test_no_dropout_means_no_dropout_layer(name):
    assert not has_dropout(build_small(name, 1, 1))
    with pytest.raises(ValueError, match="dropout > 0"):
        with monte_carlo(build_small(name, 1, 1)):
            pass


def test_monte_carlo_restores_training_mode_too():
    net = trained_like("fno", 0.2).train()
    with monte_carlo(net):
        assert not net.training
    assert all(m.training for m in net.modules())


def test_moments_are_the_sample_mean_and_std():
    values = iter(torch.tensor([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]]))
    mean, std = moments(lambda: next(values), 3)
    torch.testing.assert_close(mean, torch.tensor([3.0, 2.0], dtype=torch.float64))
    torch.testing.assert_close(std, torch.tensor([2.0, 0.0], dtype=torch.float64))


@pytest.fixture
def dropout_run(poisson_file, tmp_path, run_config):
    cfg = run_config("poisson", "fno", epochs=1)
    cfg["model"]["dropout"] = 0.2
    out = tmp_path / "fno-s0"
    train(cfg, poisson_file, out, CPU, show_progress=False)
    return cfg, out


def test_validation_and_evaluation_have_dropout_off(dropout_run, poisson_file):
    """The recorded validation loss is the saved model's deterministic one; evaluate predicts in eval mode,
    identically twice."""
    from nnphys.neural_operator import data as od

    cfg, out = dropout_run
    op, _ = load_operator(out / "model.pt", CPU)
    assert not op.training and has_dropout(op)
    fields = od.load("poisson", poisson_file)
    val = od.split(len(fields.x), 0.2, 0.2, 0)["val"]
    items = torch.from_numpy(val).reshape(-1, 1)
    recorded = float(xr.load_dataset(out / "history.nc").loss_val[-1])
    assert validate(op, fields, items, 1, 8, CPU, contextlib.nullcontext)[0] == pytest.approx(recorded, rel=1e-6)
    with monte_carlo(op), torch.no_grad():  # a loss with dropout on differs: the check above can tell
        assert float(loss_fn(op, fields, items, 1, CPU)[0]) != pytest.approx(recorded, rel=1e-6)

    timing = ("infer_samples_per_s", "reference_samples_per_s")
    metrics = evaluate(out / "model.pt", poisson_file, out, CPU)["metrics"]
    first = xr.load_dataset(out / "prediction.nc")
    again = evaluate(out / "model.pt", poisson_file, out, CPU)["metrics"]
    xr.testing.assert_identical(first, xr.load_dataset(out / "prediction.nc"))
    # every metric, the shift-equivariance and zero-shot errors included, is deterministic
    assert {k: v for k, v in metrics.items() if k not in timing} == {k: v for k, v in again.items() if k not in timing}
    assert {"equivariance_error", "zero_shot_rel_l2"} <= set(metrics)
    op, _ = load_operator(out / "model.pt", CPU)  # validate() above left it in training mode, as training wants
    x = torch.from_numpy(first.rho.values[:, None])
    np.testing.assert_array_equal(first.phi_pred.values, predict(op, x, 16, CPU)[:, 0].numpy())


def test_monte_carlo_dropout_writes_a_reproducible_predictive_file(dropout_run, poisson_file, tmp_path):
    cfg, out = dropout_run
    path = mc_dropout(out / "model.pt", poisson_file, tmp_path / "a", 8, CPU)
    ds = xr.load_dataset(path)
    assert predictive.variables(ds) == ["phi", "Ex", "Ey"]
    assert ds.attrs["method"] == "mc_dropout" and ds.attrs["draws"] == 8 and ds.attrs["model"] == "fno-s0"
    assert (ds.phi_std > 0).all() and ds.phi_mean.dims == ("sample", "x", "y")
    evaluate(out / "model.pt", poisson_file, out, CPU)
    deterministic = xr.load_dataset(out / "prediction.nc")
    np.testing.assert_array_equal(ds.phi.values, deterministic.phi.values)  # the same test samples and truth
    assert not np.array_equal(ds.phi_mean.values, deterministic.phi_pred.values)
    xr.testing.assert_identical(ds, xr.load_dataset(mc_dropout(out / "model.pt", poisson_file, tmp_path / "b", 8, CPU)))


def test_monte_carlo_of_a_model_without_dropout_exits_2(poisson_file, tmp_path, run_config, capsys):
    train(run_config("poisson", "fno", epochs=1), poisson_file, tmp_path / "run", CPU, show_progress=False)
    assert main(["operator-mc-dropout", "--model", str(tmp_path / "run" / "model.pt"), "--reference",
                 str(poisson_file), "--out-dir", str(tmp_path / "mc"), "--samples", "4", "--device", "cpu"]) == 2
    assert "Monte Carlo dropout needs a model with dropout > 0" in capsys.readouterr().err


def test_heat2d_monte_carlo_rolls_out_with_fresh_masks(heat2d_file, tmp_path, run_config):
    cfg = run_config("heat2d", "fno", epochs=1)
    cfg["model"]["dropout"] = 0.2
    train(cfg, heat2d_file, tmp_path / "run", CPU, show_progress=False)
    ds = xr.load_dataset(mc_dropout(tmp_path / "run" / "model.pt", heat2d_file, tmp_path / "mc", 4, CPU))
    assert ds.u_std.dims == ("sample", "t", "x", "y") and ds.sizes["t"] == 5
    assert float(ds.u_std.isel(t=0).max()) == 0 and float(ds.u_std.isel(t=-1).min()) > 0  # u(0) is given
