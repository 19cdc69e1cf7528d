"""Small reference files for the operator tests, made by the physics modules themselves."""

import dataclasses

import pytest

from nnphys.io import write_dataset
from nnphys.physics import heat2d, poisson

POISSON = poisson.Params(n=16, n_samples=40, seed=3)
HEAT2D = heat2d.Params(n=16, n_samples=10, nt=6, dt=2e-3, seed=3)


def write(module, p, path):
    return write_dataset(module.solve(p), path, params=dataclasses.asdict(p), seed=p.seed)


@pytest.fixture
def poisson_file(tmp_path):
    return write(poisson, POISSON, tmp_path / "poisson.nc")


@pytest.fixture
def dirichlet_poisson_file(tmp_path):
    """The Poisson file on a Dirichlet lattice (phi = 0 on the boundary, DST solver)."""
    return write(poisson, dataclasses.replace(POISSON, boundary="dirichlet", solver="dst"),
                 tmp_path / "poisson-dirichlet.nc")


@pytest.fixture
def reseeded_poisson_file(tmp_path):
    """The Poisson file drawn with another seed: other samples, the same settings otherwise."""
    return write(poisson, dataclasses.replace(POISSON, seed=4), tmp_path / "poisson-seed4.nc")


@pytest.fixture
def heat2d_file(tmp_path):
    return write(heat2d, HEAT2D, tmp_path / "heat2d.nc")


@pytest.fixture
def run_config():
    return make_run_config


def make_run_config(task, architecture, **training):
    """A tiny resolved run config (what the workflow passes to the trainer)."""
    model = {"fno": {"architecture": "fno", "width": 8, "modes": 4, "layers": 2},
             "unet": {"architecture": "unet", "width": 4, "depth": 2},
             "encoder_decoder": {"architecture": "encoder_decoder", "width": 4, "depth": 2, "latent_channels": 4},
             "deeponet": {"architecture": "deeponet", "width": 16, "depth": 1, "basis": 8}}
    cfg = {"task": task, "arch": architecture, "seed": 0, "model": model[architecture],
           "split": {"val": 0.2, "test": 0.2, "seed": 0},
           "training": {"epochs": 3, "batch_size": 8, "lr": 3e-3, "weight_decay": 1e-4, "optimizer": "adamw",
                        "momentum": 0.0, "beta2": 0.999, "schedule": "onecycle", "milestones": [], "factor": 5,
                        "patience": 10, "checkpoint_every": 1, "unroll": 1, "clip_grad_norm": 1.0,
                        **training},
           "evaluation": {"batch_size": 16, "rollout": 4, "zero_shot_samples": 4}}
    if task == "poisson":
        cfg["outputs"] = ["phi", "Ex", "Ey"]
    return cfg


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: a second thread only adds synchronization (and the CI machine has two cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
