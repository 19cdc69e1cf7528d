"""nnphys: neural networks for physics, checked against classical solvers."""

__version__ = "0.1.0"
