"""Checkpoint/resume reproduces an uninterrupted run, only for the same inputs; the NaN guard names step and term."""

import random

import numpy as np
import pytest
import torch

from nnphys.training.checkpoint import Checkpointer
from nnphys.training.guard import NonFiniteLoss, check_finite
from nnphys.training.schedules import scheduler
from nnphys.training.seeding import seed_everything


def _train(tmp_path, steps, stop_at=None):
    seed_everything(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    ck = Checkpointer(tmp_path / "ck.pt", every=5, config={"a": 1}, objects={"model": model, "optimizer": opt})
    start, history = ck.resume()
    history = history or []
    for step in range(start, steps):
        # draws from all three RNGs: resume must restore each state
        x = torch.randn(16, 3) * float(np.random.rand()) * random.random()
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


SAVED = {"config": {"lr": 1}, "code": "abc", "reference": {"params": {"k": 0.4}, "seed": 3, "source_fingerprint": "f1"}}


@pytest.mark.parametrize("changed, part", [
    ({"config": {"lr": 2}}, "run config"),
    ({"code": "abd"}, "code fingerprint"),
    ({"reference": {**SAVED["reference"], "params": {"k": 0.2}}}, "reference params"),
    ({"reference": {**SAVED["reference"], "seed": 4}}, "reference seed"),
    ({"reference": {**SAVED["reference"], "source_fingerprint": "f2"}}, "reference source_fingerprint"),
    ({"code": "abd", "config": {"lr": 2}}, "code fingerprint, run config"),
])
def test_checkpoint_of_other_inputs_is_set_aside_saying_why(tmp_path, capsys, changed, part):
    model = torch.nn.Linear(1, 1)
    make = lambda parts: Checkpointer(tmp_path / "ck.pt", 1, parts["config"], {"model": model},  # noqa: E731
                                      code=parts["code"], reference=parts["reference"])
    make(SAVED).save(7)
    assert make({**SAVED, **changed}).resume() == (0, None)
    assert not (tmp_path / "ck.pt").exists()
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"checkpoint {tmp_path / 'ck.pt'} not resumed (changed since it was saved: {part}); "
                     "removed it, starting afresh"]


def test_checkpoint_of_same_inputs_resumes(tmp_path):
    model = torch.nn.Linear(1, 1)
    Checkpointer(tmp_path / "ck.pt", 1, SAVED["config"], {"model": model}, code="abc",
                 reference=SAVED["reference"]).save(7)
    # the same inputs, built afresh (key order does not matter)
    again = Checkpointer(tmp_path / "ck.pt", 1, {"lr": 1}, {"model": model}, code="abc",
                         reference={"source_fingerprint": "f1", "seed": 3, "params": {"k": 0.4}})
    assert again.resume()[0] == 7


@pytest.mark.parametrize("content", ["junk", "old format"])
def test_unreadable_checkpoint_is_set_aside(tmp_path, capsys, content):
    """A checkpoint is a cache: one that cannot be read (or predates the key) is removed, not fatal."""
    path = tmp_path / "ck.pt"
    if content == "junk":
        path.write_bytes(b"not a checkpoint" * 10)
    else:  # as older nnphys wrote it: no key, numpy RNG state as a pickled tuple
        torch.save({"model": {}, "step": 7, "config": "{}", "rng": {"numpy": np.random.get_state()}}, path)
    assert Checkpointer(path, 1, {}, {"model": torch.nn.Linear(1, 1)}).resume() == (0, None)
    assert not path.exists()
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "not resumed (unreadable or from an older nnphys" in err


def test_checkpoint_is_plain_data(tmp_path):
    """Everything saved (optimizer, scheduler, RNG states) loads with torch's weights_only unpickler."""
    seed_everything(0)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.AdamW(model.parameters())
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=10)
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    sched.step()
    Checkpointer(tmp_path / "ck.pt", 1, {}, {"model": model, "optimizer": opt, "scheduler": sched}).save(1, [0.5])
    state = torch.load(tmp_path / "ck.pt", weights_only=True)
    assert state["step"] == 1 and isinstance(state["rng"]["numpy"]["keys"], torch.Tensor)


def test_guard_names_step_and_term():
    check_finite({"pde": torch.tensor(1.0), "ic": torch.tensor(0.5)}, step=3)
    with pytest.raises(NonFiniteLoss, match=r"step 41: term\(s\) ic = nan"):
        check_finite({"pde": torch.tensor(1.0), "ic": torch.tensor(float("nan"))}, step=41)


@pytest.mark.parametrize("name, final", [("exponential", 0.1), ("cosine", 0.1), ("cosine", 0.0)])
def test_a_decaying_schedule_ends_at_its_floor(name, final):
    opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=2.0)
    sched = scheduler(opt, name, 2.0, 10, final)
    for _ in range(10):
        opt.step()
        sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(2.0 * final, abs=1e-12)


def test_constant_has_no_scheduler_and_onecycle_rises_then_falls():
    opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=2.0)
    assert scheduler(opt, "constant", 2.0, 10, 1.0) is None
    sched = scheduler(opt, "onecycle", 2.0, 10, 0.0)
    lrs = []
    for _ in range(10):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    # from lr / 25 to lr at step 0.2 N - 1 (torch's count), then down
    assert lrs[0] == pytest.approx(2.0 / 25) and int(np.argmax(lrs)) == 1 and max(lrs) == pytest.approx(2.0)
    assert lrs[2:] == sorted(lrs[2:], reverse=True)
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'linear'"):
        scheduler(opt, "linear", 2.0, 10, 0.0)
