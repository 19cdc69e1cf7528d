"""Checkpoint/resume reproduces an uninterrupted run; the NaN guard names step and term."""

import pytest
import torch

from nnphys.training.checkpoint import Checkpointer, seed_everything
from nnphys.training.guard import NonFiniteLoss, check_finite


def _train(tmp_path, steps, stop_at=None):
    seed_everything(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    ck = Checkpointer(tmp_path / "ck.pt", every=5, config={"a": 1}, objects={"model": model, "optimizer": opt})
    start, history = ck.resume()
    history = history or []
    for step in range(start, steps):
        x = torch.randn(16, 3)  # draws from the RNG: resume must restore its state
        loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.item())
        ck.maybe_save(step + 1, history)
        if stop_at is not None and step + 1 == stop_at:
            return None
    return model.weight.detach().clone(), history


def test_resume_reproduces_uninterrupted_run(tmp_path):
    w_ref, h_ref = _train(tmp_path / "a", 20)
    assert _train(tmp_path / "b", 20, stop_at=12) is None  # "killed" after step 12; last checkpoint at 10
    w, h = _train(tmp_path / "b", 20)
    assert torch.equal(w, w_ref)
    assert h == h_ref


def test_checkpoint_of_other_config_is_ignored(tmp_path):
    model = torch.nn.Linear(1, 1)
    Checkpointer(tmp_path / "ck.pt", 1, {"lr": 1}, {"model": model}).save(7)
    assert Checkpointer(tmp_path / "ck.pt", 1, {"lr": 2}, {"model": model}).resume() == (0, None)
    assert Checkpointer(tmp_path / "ck.pt", 1, {"lr": 1}, {"model": model}).resume()[0] == 7


def test_guard_names_step_and_term():
    check_finite({"pde": torch.tensor(1.0), "ic": torch.tensor(0.5)}, step=3)
    with pytest.raises(NonFiniteLoss, match=r"step 41: term\(s\) ic = nan"):
        check_finite({"pde": torch.tensor(1.0), "ic": torch.tensor(float("nan"))}, step=41)
