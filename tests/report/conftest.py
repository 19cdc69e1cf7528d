"""Fake results following the PINN and operator file contract (fake.py), written once per test module."""

from __future__ import annotations

from pathlib import Path

import pytest

import fake


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("results")
    fake.write_results(root)
    return root
