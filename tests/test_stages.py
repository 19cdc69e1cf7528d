"""Each stage's fingerprint covers every package module its commands import, and no other pipeline's code.

The commands run as the workflow runs them (``python -m nnphys <command>``, one process per stage), on
tiny inputs; each process reports the nnphys modules its commands imported beyond the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnphys import io, stages

# Runs the commands given as JSON argument lists in turn; prints the nnphys modules they imported.
RECORD = """
import json, sys
from nnphys import cli
before = set(sys.modules)
for argv in json.loads(sys.argv[1]):
    assert cli.main(argv) == 0, argv
print(json.dumps(sorted(m for m in sys.modules if m.startswith("nnphys") and m not in before)))
"""

TINY_PINN = {"model": {"width": 4, "depth": 1},
             "training": {"sampling": {"n_pde": 8, "n_initial": 4, "n_boundary": 4},
                          "phases": [{"optimizer": "adam", "steps": 2}]}}
TINY_OPERATOR = {"task": "poisson",
                 "model": {"architecture": "fno", "width": 4, "modes": 4, "layers": 1, "dropout": 0.1},
                 "training": {"epochs": 1}, "evaluation": {"zero_shot_samples": 2}}
TINY_CNN = {"task": "poisson", "model": {"architecture": "encoder_decoder", "width": 2, "depth": 1,
                                         "latent_channels": 2}, "training": {"epochs": 1}}
STYLE = json.dumps({"dpi": 30})


def commands(d: Path) -> dict[str, list[list[str]]]:
    """Every command of every stage, each writing into ``d``; in stage order, so each finds its inputs."""
    torch_job = ["--device", "cpu", "--threads", "1"]
    pinn, op = d / "pinn" / "heat1d" / "tiny-s0", d / "operator" / "poisson" / "fno-s0"
    cnn = d / "operator" / "poisson" / "encoder_decoder-s0"
    metrics = [str(pinn / "metrics.json"), str(op / "metrics.json")]
    return {
        "reference": [["reference", "heat1d", "--config", '{"nx": 11, "nt": 6, "substeps": 2, "refine": 1}',
                       "--out", str(d / "heat1d.nc")],
                      ["reference", "poisson", "--config", '{"n": 16, "n_samples": 20}', "--out", str(d / "poisson.nc")]],
        "pinn": [["pinn-train", "heat1d", "--config", json.dumps({**TINY_PINN, "model_name": "tiny"}),
                  "--reference", str(d / "heat1d.nc"), "--out-dir", str(pinn), *torch_job],
                 ["pinn-evaluate", "heat1d", "--model", str(pinn / "model.pt"), "--reference", str(d / "heat1d.nc"),
                  "--out-dir", str(pinn), *torch_job]],
        "operator": [["operator-train", "--config", json.dumps(TINY_OPERATOR), "--reference", str(d / "poisson.nc"),
                      "--out-dir", str(op), *torch_job],
                     ["operator-evaluate", "--model", str(op / "model.pt"), "--reference", str(d / "poisson.nc"),
                      "--out-dir", str(op), *torch_job],
                     ["operator-train", "--config", json.dumps(TINY_CNN), "--reference", str(d / "poisson.nc"),
                      "--out-dir", str(cnn), *torch_job],
                     ["operator-evaluate", "--model", str(cnn / "model.pt"), "--reference", str(d / "poisson.nc"),
                      "--out-dir", str(cnn), *torch_job],
                     ["operator-mc-dropout", "--model", str(op / "model.pt"), "--reference", str(d / "poisson.nc"),
                      "--samples", "2", "--out-dir", str(d / "mc"), *torch_job],
                     ["operator-green", "--model", str(op / "model.pt"), "--reference", str(d / "poisson.nc"),
                      "--study", '{"positions": [[0.5, 0.5]], "near": 2}', "--out-dir", str(d / "green"),
                      *torch_job]],
        "report": [["tables", "--metrics", *metrics, "--csv", str(d / "e.csv"), "--summary-csv", str(d / "s.csv"),
                    "--md", str(d / "e.md")],
                   ["figures", "report", "--runs", str(pinn), str(op), "--references",
                    json.dumps({"heat1d": str(d / "heat1d.nc")}), "--quicklooks",
                    json.dumps([{"problem": "heat1d", "dataset": str(d / "heat1d.nc"), "out": str(d / "heat1d.png")}]),
                    "--style", STYLE, "--samples", "1", "--workers", "2", "--out-dir", str(d / "figures")],
                   ["ensemble", "--stage", "pinn", "--problem", "heat1d", "--model", "tiny", "--predictions",
                    str(pinn / "prediction.nc"), str(pinn / "prediction.nc"), "--reference", str(d / "heat1d.nc"),
                    "--out", str(d / "ensemble.nc")],
                   ["uq-tables", "--predictive", str(d / "mc" / "predictive.nc"), "--csv", str(d / "uq.csv"),
                    "--md", str(d / "uq.md")],
                   ["figures", "uq", "--predictive", str(d / "mc" / "predictive.nc"), "--style", STYLE,
                    "--out-dir", str(d / "figures" / "uq")],
                   ["optimizer-tables", "--groups", json.dumps({"c": [str(pinn)]}), "--csv", str(d / "o.csv"),
                    "--md", str(d / "o.md")],
                   ["figures", "optimizers", "--runs", str(op), str(op), "--style", STYLE,
                    "--out-dir", str(d / "figures" / "optimizers")],
                   ["study-symmetry", "--metrics", str(op / "metrics.json"), "--runs",
                    '[{"symmetry": "none", "train_samples": 0}]', "--style", STYLE, "--out-dir", str(d / "sym")],
                   ["study-green", "--green", str(d / "green" / "green.nc"), "--metrics",
                    str(d / "green" / "green.json"), "--style", STYLE, "--out-dir", str(d / "green")],
                   ["summary", "--metrics", *metrics, "--bench", str(d / "bench"), "--html", str(d / "s.html"),
                    "--md", str(d / "s.md")]],
        "studies": [["study", "receptive-field", "--runs", str(cnn), "--reference", str(d / "poisson.nc"),
                     "--style", STYLE, "--csv", str(d / "rf.csv"), "--md", str(d / "rf.md"),
                     "--out-dir", str(d / "figures")]],
    }


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, list[str]]:
    """stage -> the nnphys modules its commands imported (one process per stage, as Snakemake's jobs)."""
    d = tmp_path_factory.mktemp("stages")
    out = {}
    for stage, argvs in commands(d).items():
        done = subprocess.run([sys.executable, "-c", RECORD, json.dumps(argvs)], capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        out[stage] = json.loads(done.stdout.splitlines()[-1])
    return out


def module_file(name: str) -> Path:
    parts = name.split(".")[1:]
    path = io.PACKAGE_ROOT.joinpath(*parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def covered(path: Path, sources: tuple[str, ...]) -> bool:
    rel = path.relative_to(io.PACKAGE_ROOT)
    return any(rel == Path(s) or Path(s) in rel.parents for s in sources)


def test_the_commands_import_something(imported):
    """The record sees the stage code (a wrong import path would leave it empty and the next test vacuous)."""
    assert "nnphys.pinn.train" in imported["pinn"] and "nnphys.neural_operator.train" in imported["operator"]
    assert "nnphys.physics.heat1d" in imported["reference"] and "nnphys.evaluation.tables" in imported["report"]
    assert "nnphys.models.receptive_field" in imported["studies"]


@pytest.mark.parametrize("stage", stages.STAGES)
def test_a_stages_sources_cover_every_module_its_commands_import(imported, stage):
    missing = [m for m in imported[stage] if not covered(module_file(m), stages.sources(stage))]
    assert not missing, f"{stage} runs modules its fingerprint leaves out: {missing}"


def test_pinn_and_operator_code_rerun_only_their_own_stage():
    assert not {"neural_operator", "evaluation"} & set(stages.sources("pinn"))
    assert not {"pinn", "evaluation"} & set(stages.sources("operator"))
    assert not {"pinn", "neural_operator", "training", "models"} & set(stages.sources("report"))


@pytest.fixture
def package_copy(monkeypatch, tmp_path):
    """A copy of the package that the stages' fingerprints are taken of: (its root, the fingerprints before)."""
    import shutil

    root = tmp_path / "nnphys"
    shutil.copytree(stages.PACKAGE_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = {s: stages.fingerprint(s) for s in stages.STAGES}
    monkeypatch.setattr(stages, "PACKAGE_ROOT", root)
    return root, before


def test_editing_a_stages_code_changes_its_fingerprint_only(package_copy):
    """The fingerprint follows a file's content: a copy of the package with one PINN module changed."""
    root, before = package_copy
    assert {s: stages.fingerprint(s) for s in stages.STAGES} == before
    (root / "pinn" / "sampling.py").write_text((root / "pinn" / "sampling.py").read_text() + "\n# edited\n")
    after = {s: stages.fingerprint(s) for s in stages.STAGES}
    assert [s for s in stages.STAGES if after[s] != before[s]] == ["pinn"]


@pytest.mark.parametrize("edit, reruns", [("_jet_kernels.h", True), ("_jet.c", True), ("_jet.so", False)])
def test_the_c_kernels_sources_are_pinn_sources_and_their_build_is_not(package_copy, edit, reruns):
    """Editing the C a PINN job runs reruns the PINN stage; building it (a machine's .so) does not."""
    root, before = package_copy
    path = root / "pinn" / edit
    path.write_bytes((path.read_bytes() if path.exists() else b"") + b"\n/* edited */\n")
    assert (stages.fingerprint("pinn") != before["pinn"]) == reruns
