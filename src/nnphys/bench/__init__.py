"""Benchmarks the project keeps: ``python -m nnphys.bench <name> [options]``.

Each ``nnphys.bench.<name>`` module has ``main(argv) -> dict`` and writes its
numbers as JSON to ``results/bench/<name>.json`` (or ``--out``).
"""
