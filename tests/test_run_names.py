"""Run names: ``<model>-s<seed>``, built and read back by one pair of functions."""

import pytest

from nnphys.configcheck import ConfigError
from nnphys.run_names import RUN_NAME, parse_run_name, run_name


@pytest.mark.parametrize("model, seed", [("fno", 0), ("tanh-4x64-periodic", 12), ("a-s1", 3), ("v1.2_b", 7)])
def test_a_name_reads_back_as_its_model_and_seed(model, seed):
    name = run_name(model, seed)
    assert RUN_NAME.fullmatch(name)
    assert parse_run_name(name) == (model, seed)


@pytest.mark.parametrize("name", ["fno", "fno-s", "fno-sx", "-s0", "a/b-s0"])
def test_other_names_are_refused(name):
    with pytest.raises(ConfigError, match="expected '<model>-s<seed>'"):
        parse_run_name(name)
