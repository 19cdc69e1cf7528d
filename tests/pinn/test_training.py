"""PINN training: determinism, resume after a crash, NaN guard, optimizer stops, LM Jacobian, outputs."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import xarray as xr

from nnphys.cli import main
from nnphys.configcheck import ConfigError
from nnphys.io import DataError, dataset_params, load_checkpoint, read_json, write_dataset
from nnphys.training.guard import NonFiniteLoss
from nnphys.pinn.levenberg_marquardt import residuals_and_jacobian
from nnphys.pinn.train import Losses, build_model, collocation
from nnphys.pinn.runs import evaluate_run, train_run
from nnphys.pinn.problems import spec

from helpers import killed_after_checkpoint

from .conftest import heat_reference, soliton_reference, tiny_run

CPU = torch.device("cpu")


def _history(path):
    h = xr.load_dataset(path)
    return {k: h[k].values for k in h.data_vars if k != "wall_time"}


def test_same_seed_same_history_other_seed_differs(tmp_path):
    ref = heat_reference()
    run = tiny_run(sampling={"method": "lhs", "n_pde": 64, "n_initial": 16, "n_boundary": 8, "resample_every": 5})
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        train_run("heat1d", {**run, "seed": seed}, ref, tmp_path / name, CPU)
    a, b, c = (_history(tmp_path / n / "history.nc") for n in "abc")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
    assert not np.array_equal(a["loss_total"], c["loss_total"])
    assert np.isfinite(a["rel_l2"]).sum() >= 3  # every eval_every steps and at the end


def test_resume_after_crash_reproduces_uninterrupted_run(tmp_path, monkeypatch, capsys):
    ref = heat_reference()
    run = tiny_run(phases=[{"optimizer": "adam", "steps": 20, "lr": 0.01}, {"optimizer": "lbfgs", "steps": 20},
                           {"optimizer": "ssbroyden", "steps": 20}, {"optimizer": "lm", "steps": 10}],
                   sampling={"method": "sobol", "n_pde": 64, "n_initial": 16, "n_boundary": 8, "resample_every": 10})
    train_run("heat1d", run, ref, tmp_path / "whole", CPU)

    # during adam, L-BFGS, then SSBroyden: killed right after a checkpoint is written
    for crash_at in (10, 30, 50):
        killed_after_checkpoint(monkeypatch, crash_at, train_run, "heat1d", run, ref, tmp_path / "resumed", CPU)
        # plain data only (L-BFGS history, phase index, RNG states): loads without unpickling code
        assert torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=True)["step"] == crash_at
    capsys.readouterr()
    train_run("heat1d", run, ref, tmp_path / "resumed", CPU)
    assert "at step 50" in capsys.readouterr().err  # a silent fresh start would also match the whole run

    whole, resumed = (load_checkpoint(tmp_path / d / "model.pt") for d in ("whole", "resumed"))
    assert all(torch.equal(whole["model"][k], resumed["model"][k]) for k in whole["model"])
    a, b = _history(tmp_path / "whole" / "history.nc"), _history(tmp_path / "resumed" / "history.nc")
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
    assert not (tmp_path / "resumed" / "checkpoint.pt").exists()


def test_kill_with_sigkill_then_rerun_finishes(tmp_path, heat_file):
    """A real SIGKILL after the first checkpoint; the rerun resumes from it and finishes."""
    run = tiny_run(phases=[{"optimizer": "adam", "steps": 400, "lr": 0.01}], checkpoint_every=20)
    cmd = [sys.executable, "-m", "nnphys", "pinn-train", "heat1d", "--config", json.dumps(run),
           "--reference", str(heat_file), "--out-dir", str(tmp_path / "run"), "--device", "cpu", "--threads", "1"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    ck = tmp_path / "run" / "checkpoint.pt"
    for _ in range(600):
        if ck.exists() or proc.poll() is not None:
            break
        import time
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    if (tmp_path / "run" / "model.pt").exists():
        pytest.skip("the run finished before it could be killed")
    assert ck.exists()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resumed from" in done.stderr
    h = xr.load_dataset(tmp_path / "run" / "history.nc")
    assert int(h.step[-1]) == 400 and np.array_equal(h.step.values, np.arange(5, 401, 5))


def test_non_finite_loss_names_step_and_term_and_keeps_checkpoint(tmp_path, monkeypatch):
    ref = heat_reference()
    original = Losses.residuals
    calls = {"n": 0}

    def poisoned(self, batch, record=False):
        out = original(self, batch, record)
        calls["n"] += 1
        if calls["n"] > 13:
            r, tape, rows = out["pde"]
            out["pde"] = (r * float("nan"), tape, rows)
        return out

    monkeypatch.setattr(Losses, "residuals", poisoned)
    with pytest.raises(NonFiniteLoss, match=r"step 13: term\(s\) pde"):
        train_run("heat1d", tiny_run(), ref, tmp_path, CPU)
    assert load_checkpoint(tmp_path / "checkpoint.pt", required=("step",))["step"] == 10
    assert not (tmp_path / "model.pt").exists()


def test_lbfgs_reports_why_it_stopped(tmp_path):
    run = tiny_run(phases=[{"optimizer": "lbfgs", "steps": 50, "tolerance_grad": 1e3}])
    train_run("heat1d", run, heat_reference(), tmp_path, CPU)
    assert "tolerance_grad" in xr.load_dataset(tmp_path / "history.nc").attrs["optimizer_stop"]


@pytest.mark.parametrize("problem", ["heat1d", "nls", "heat1d_inverse"])
def test_levenberg_marquardt_jacobian_matches_autograd(problem, elementwise):
    s = spec(problem, {})
    inverse = {"samples": 5, "noise": 0.0, "initial": {"k": 1.0}} if problem == "heat1d_inverse" else None
    torch.manual_seed(0)
    model = build_model({"model": {"width": 6, "depth": 2, "dtype": "float64"}, "training": {"inverse": inverse}}, s)
    batch = collocation(s, {"n_pde": 7, "n_initial": 3, "n_boundary": 2}, 0, 0, next(model.parameters()))
    data = (torch.rand(4, 2, dtype=torch.float64), torch.rand(4, 1, dtype=torch.float64)) if inverse else None
    losses = Losses(s, {"ic": 1.0, "bc": 2.0, "pde": 1.0, "data": 1.0}, model, data)
    params = list(model.parameters())
    r, jac = residuals_and_jacobian(losses, batch, params)
    assert float(r @ r) == pytest.approx(losses(batch)[0].item(), rel=1e-12)
    for i in range(len(r)):
        stacked = torch.cat([(losses.weights[t] / x.shape[0]) ** 0.5 * x.T.reshape(-1)
                             for t, (x, _, _) in losses.residuals(batch).items()])
        grads = torch.autograd.grad(stacked[i], params, allow_unused=True)
        row = torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(grads, params)])
        assert torch.allclose(jac[i], row, atol=1e-13)


def test_inverse_run_estimates_k_and_reports_it(tmp_path):
    ref = heat_reference(nt=21, nx=21)
    run = tiny_run("heat1d_inverse", phases=[{"optimizer": "lm", "steps": 30}],
                   weights={"ic": 0.0, "bc": 0.0, "pde": 1.0, "data": 1.0},
                   inverse={"samples": 100, "noise": 0.0, "initial": {"k": 1.0}})
    train_run("heat1d_inverse", run, ref, tmp_path, CPU)
    m = evaluate_run(tmp_path / "model.pt", ref, tmp_path, CPU)
    assert m["problem"] == "heat1d_inverse" and m["kind"] == "pinn"
    assert m["metrics"]["k_rel_error"] < 0.2  # from 150 % at the start
    assert "k_hat" in xr.load_dataset(tmp_path / "history.nc")


def test_inverse_run_refuses_a_time_scale_read_from_the_true_k(tmp_path):
    run = tiny_run("heat1d_inverse", weights={"ic": 0.0, "bc": 0.0, "pde": 1.0, "data": 1.0},
                   inverse={"samples": 20, "noise": 0.0, "initial": {"k": 1.0}})
    run["training"]["sampling"]["time_scale"] = "auto"
    with pytest.raises(ConfigError, match=r"'sampling.time_scale' of pinn problem heat1d_inverse: 'auto' would "
                                          r"take the decay time from the reference's true coefficients"):
        train_run("heat1d_inverse", run, heat_reference(nt=11, nx=11), tmp_path, CPU)
    assert not (tmp_path / "checkpoint.pt").exists()


def test_nls_outputs_follow_the_contract(tmp_path):
    ref = soliton_reference()
    run = tiny_run("nls", phases=[{"optimizer": "adam", "steps": 10, "lr": 0.01}])
    train_run("nls", run, ref, tmp_path, CPU)
    m = evaluate_run(tmp_path / "model.pt", ref, tmp_path, CPU)
    assert set(m) == {"kind", "problem", "model", "seed", "run", "device", "train_seconds", "steps", "metrics"}
    assert m["run"] == "tiny-s0" and m["steps"] == 10
    assert {"rel_l2", "max_abs", "mean_abs_residual", "rel_l2_abs", "rel_l2_complex"} <= set(m["metrics"])
    assert read_json(tmp_path / "metrics.json") == json.loads(json.dumps(m))
    pred = xr.load_dataset(tmp_path / "prediction.nc")
    for name in ("u", "v", "h_abs"):
        assert pred[name].dims == ("t", "x") and pred[name].shape == ref[name].shape
        assert {"units", "long_name"} <= set(pred[name].attrs)
    assert np.allclose(pred.h_abs, np.hypot(pred.u, pred.v))
    hist = xr.load_dataset(tmp_path / "history.nc")
    assert {"loss_total", "loss_ic", "loss_bc", "loss_pde", "rel_l2", "wall_time"} <= set(hist.data_vars)
    assert hist.loss_total.dims == ("step",)
    state = load_checkpoint(tmp_path / "model.pt", required=("model", "optimizer", "step", "config"))
    assert state["step"] == 10


def test_evaluation_refuses_a_reference_of_other_physics(tmp_path):
    train_run("heat1d", tiny_run(phases=[{"optimizer": "adam", "steps": 5}]), heat_reference(), tmp_path, CPU)
    with pytest.raises(DataError, match="trained for physics"):
        evaluate_run(tmp_path / "model.pt", heat_reference(k=0.2), tmp_path, CPU)


def test_cli_names_a_missing_reference(tmp_path):
    done = subprocess.run([sys.executable, "-m", "nnphys", "pinn-train", "heat1d", "--config", json.dumps(tiny_run()),
                           "--reference", str(tmp_path / "nope.nc"), "--out-dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "nope.nc: file not found" in done.stderr


def test_training_learns_the_equation_recorded_in_the_reference_file(tmp_path):
    """k = 0.25 (not the default 0.4) written into the file reaches the model and the PDE loss."""
    run = tiny_run(phases=[{"optimizer": "adam", "steps": 1}], log_every=1)  # the row holds the initial loss
    for k in (0.25, 0.4):
        ds = heat_reference(k=k)
        path = write_dataset(ds, tmp_path / f"heat1d-{k}.nc", params=json.loads(ds.attrs["params"]))
        train_run("heat1d", run, xr.load_dataset(path), tmp_path / str(k), CPU)
    assert load_checkpoint(tmp_path / "0.25" / "model.pt")["physics"]["k"] == 0.25
    slow, default = (xr.load_dataset(tmp_path / k / "history.nc") for k in ("0.25", "0.4"))
    np.testing.assert_array_equal(slow.loss_ic, default.loss_ic)  # same seed and network: only the PDE differs
    assert not np.array_equal(slow.loss_pde, default.loss_pde)


@pytest.mark.parametrize("change, part", [
    ({"reference": heat_reference(k=0.2)}, "reference params"),
    ({"fingerprint": "code v2"}, "code fingerprint"),
    ({}, None),
])
def test_checkpoint_resumes_only_with_the_same_reference_and_code(tmp_path, monkeypatch, capsys, change, part):
    """Killed after its first checkpoint, then rerun with the reference or the code changed: a fresh run
    (the same as one that never saw the checkpoint), with one log line saying why; unchanged, it resumes."""
    run = tiny_run(phases=[{"optimizer": "adam", "steps": 20, "lr": 0.01}])
    before = {"reference": heat_reference(), "fingerprint": "code v1"}
    killed_after_checkpoint(monkeypatch, 10, train_run, "heat1d", run, before["reference"], tmp_path / "run", CPU,
                            before["fingerprint"])
    after = {**before, **change}
    capsys.readouterr()
    train_run("heat1d", run, after["reference"], tmp_path / "run", CPU, after["fingerprint"])
    err = capsys.readouterr().err
    if part is None:
        assert "resumed from" in err and "at step 10" in err and "not resumed" not in err
        return
    assert "resumed from" not in err
    why = [line for line in err.splitlines() if "checkpoint" in line]
    assert why == [f"checkpoint {tmp_path / 'run' / 'checkpoint.pt'} not resumed (changed since it was saved: "
                   f"{part}); removed it, starting afresh"]
    train_run("heat1d", run, after["reference"], tmp_path / "fresh", CPU, after["fingerprint"])
    a, b = (load_checkpoint(tmp_path / d / "model.pt")["model"] for d in ("run", "fresh"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def _nan_reference_file(tmp_path, **params):
    ds = heat_reference(**params)
    ds["u"][3, 4] = np.nan
    return write_dataset(ds, tmp_path / "heat1d.nc", params=dataset_params(ds))


@pytest.mark.parametrize("problem, run", [
    ("heat1d", tiny_run(phases=[{"optimizer": "adam", "steps": 5}])),
    ("heat1d_inverse", tiny_run("heat1d_inverse", phases=[{"optimizer": "lm", "steps": 5}],
                                weights={"ic": 0.0, "bc": 0.0, "pde": 1.0, "data": 1.0},
                                inverse={"samples": 100, "noise": 0.0, "initial": {"k": 1.0}})),
])
def test_nan_reference_is_refused_naming_file_and_variable(tmp_path, capsys, problem, run):
    """Not trained on (the inverse problem's data would make the loss NaN and blame the learning rate)."""
    ref = _nan_reference_file(tmp_path)
    assert main(["pinn-train", problem, "--config", json.dumps(run), "--reference", str(ref),
                 "--out-dir", str(tmp_path / "run"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err == (f"nnphys pinn-train: error: {ref}: variable 'u' has 1 NaN or Inf value(s) of 121; "
                   "recompute it (delete the file and rerun the stage that makes it)\n")
    assert not (tmp_path / "run" / "model.pt").exists()


def test_nan_reference_is_refused_by_evaluation(tmp_path):
    train_run("heat1d", tiny_run(phases=[{"optimizer": "adam", "steps": 5}]), heat_reference(), tmp_path, CPU)
    ref = xr.load_dataset(_nan_reference_file(tmp_path))
    with pytest.raises(DataError, match=r"heat1d\.nc: variable 'u' has 1 NaN"):
        evaluate_run(tmp_path / "model.pt", ref, tmp_path, CPU)
    assert not (tmp_path / "metrics.json").exists()


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_non_finite_metric_is_an_error_naming_file_and_key(tmp_path, capsys):
    """A zero reference makes rel. L2 infinite: refused, not written as invalid JSON."""
    zero = heat_reference(modes=((1, 0.0),))
    path = write_dataset(zero, tmp_path / "zero.nc", params=dataset_params(zero))
    train_run("heat1d", tiny_run(phases=[{"optimizer": "adam", "steps": 5}]), zero, tmp_path, CPU)
    capsys.readouterr()
    assert main(["pinn-evaluate", "heat1d", "--model", str(tmp_path / "model.pt"), "--reference", str(path),
                 "--out-dir", str(tmp_path), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'metrics.json'}: metrics.rel_l2 is inf; a result must be finite" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "metrics.json").exists()
