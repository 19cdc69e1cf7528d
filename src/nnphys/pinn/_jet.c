/* Fused elementwise kernels of the jet pass (nnphys.pinn.derivatives), called through ctypes
 * (nnphys.pinn.jet_kernels). Torch spends one pass over memory per elementwise operation, about ten per
 * layer and direction; these do a layer's activation work in one sweep over each block of rows while it is
 * in cache. The equations are in _jet_kernels.h; _jet_pass.h takes whole passes through every layer, matrix products
 * included. The Python module is an empty stub that marks the build. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { ACT_TANH = 0, ACT_SIN = 1 };
#define BLOCK 256

/* One copy per instruction set, picked at load time (AVX-512, AVX2, baseline): a build runs at full speed
 * on the machine it was built on and correctly on any other x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

#define REAL float
#define NAME(f) f##_f32
#define TANH tanhf
#define SIN sinf
#define COS cosf
#include "_jet_kernels.h"
#include "_jet_pass.h"
#undef REAL
#undef NAME
#undef TANH
#undef SIN
#undef COS

#define REAL double
#define NAME(f) f##_f64
#define TANH tanh
#define SIN sin
#define COS cos
#include "_jet_kernels.h"
#include "_jet_pass.h"

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_jet", "Fused jet-pass kernels (see jet_kernels).", -1};

PyMODINIT_FUNC PyInit__jet(void) { return PyModule_Create(&module); }
