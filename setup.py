"""The C kernels of the jet pass (nnphys.pinn._jet, see src/nnphys/pinn/_jet.c); the rest is in pyproject.toml.

Optional: without a C compiler the build skips them and nnphys runs the same pass on torch operations.
-ffast-math is a compile flag only (it lets gcc call glibc's vector tanh/sin/cos); linked with it, gcc 12 would
add crtfastmath.o, which flushes denormals to zero in the whole process."""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "nnphys.pinn._jet",
    sources=["src/nnphys/pinn/_jet.c"],
    depends=["src/nnphys/pinn/_jet_kernels.h", "src/nnphys/pinn/_jet_pass.h"],
    extra_compile_args=["-O3", "-ffast-math", "-fopenmp"],
    extra_link_args=["-fopenmp"],
    libraries=["m"],
    optional=True,
)])
