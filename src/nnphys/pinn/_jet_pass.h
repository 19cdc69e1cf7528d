/* The whole jet pass of an MLP, forward and backward, for one floating type: included by _jet.c once per type after
 * _jet_kernels.h, with the same REAL and NAME(f).
 *
 * Layers l = 0..L-1 are affine, a = W_l h + b_l, W_l (width[l+1], width[l]) row-major, with σ and its jets
 * (_jet_kernels.h) after every layer but the last. The pass goes chunk by chunk; each thread takes a run of whole
 * chunks and takes each through every layer, its matrix products on single-threaded BLAS (OpenMP does not nest):
 * a chunk's blocks stay in its core's cache from one layer to the next, and the threads meet only at the end.
 * With BLAS threaded over each product instead, a chunk's product was split among the cores by one rule and its
 * elementwise work by another, with a fork and join for every product and sweep (about 750 a step at Raissi's sizes).
 *
 * Buffers (nnphys.pinn.derivatives.JetPass): chunk c covers rows row0[c] .. row0[c] + rows[c] - 1 of the pass's
 * input h0 (K, n, width[0]) and output (K, n, width[L]), a slot's rows one contiguous block in each; for hidden
 * layer l, h[c*(L-1) + l], z[c*(L-1) + l] and d1[c*(L-1) + l] are the chunk's output (K, rows, width[l+1]) (the next
 * layer's input), pre-activation (K, rows, width[l+1]) and σ' (rows, width[l+1]), each contiguous. */

/* The Fortran BLAS gemm of this type (LP64), handed over by jet_kernels.py: torch's own MKL. */
typedef void (*NAME(gemm_fn))(const char *, const char *, const int *, const int *, const int *, const REAL *,
                              const REAL *, const int *, const REAL *, const int *, const REAL *, REAL *,
                              const int *);
static NAME(gemm_fn) NAME(gemm);

void NAME(jet_set_gemm)(void *fn) { NAME(gemm) = (NAME(gemm_fn))fn; }

/* Row-major products through BLAS's column-major view (a row-major (M, N) matrix is its transpose there). */
/* C (M, N) = A (M, K) B^T, B (N, K) */
static void NAME(mm_nt)(int M, int N, int K, const REAL *A, const REAL *B, REAL *C)
{
    const REAL one = 1, zero = 0;
    NAME(gemm)("T", "N", &N, &M, &K, &one, B, &K, A, &K, &zero, C, &N);
}

/* C (M, N) = A (M, K) B, B (K, N) */
static void NAME(mm_nn)(int M, int N, int K, const REAL *A, const REAL *B, REAL *C)
{
    const REAL one = 1, zero = 0;
    NAME(gemm)("N", "N", &N, &M, &K, &one, B, &N, A, &K, &zero, C, &N);
}

/* C (M, N) += A^T B, A (K, M), B (K, N) */
static void NAME(mm_tn_add)(int M, int N, int K, const REAL *A, const REAL *B, REAL *C)
{
    const REAL one = 1;
    NAME(gemm)("N", "T", &N, &M, &K, &one, B, &N, A, &M, &one, C, &N);
}

static ptrdiff_t NAME(tiles)(ptrdiff_t m, ptrdiff_t f) { return (m + TILE_ROWS(f) - 1) / TILE_ROWS(f); }

/* out (K, n, width[L]) = the pass's output; h, z, d1 of every hidden layer are written for the backward.
 * Returns -1 (nothing done) if no memory could be had for the biases' tiles, else 0. */
int NAME(jet_pass_forward)(int act, int k, int n_first, int n_sel, const int *sel, int L, const int *width,
                           const REAL *const *w, const REAL *const *b, int n_chunks, const ptrdiff_t *row0,
                           const int *rows, ptrdiff_t n, const REAL *h0, REAL *const *h, REAL *const *z,
                           REAL *const *d1, REAL *out, int threads)
{
    REAL *bt = malloc((size_t)L * BLOCK * sizeof(REAL));
    if (!bt)
        return -1;
    for (int l = 0; l < L - 1; l++)
        NAME(tile_bias)(width[l + 1], b[l], bt + l * BLOCK);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int c = 0; c < n_chunks; c++) {
        const int m = rows[c], i = c * (L - 1);
        for (int l = 0; l < L - 1; l++) {
            const int fi = width[l], fo = width[l + 1];
            if (l)
                NAME(mm_nt)(k * m, fo, fi, h[i + l - 1], w[l], z[i + l]);
            else  /* a slot at a time from the pass's input */
                for (int j = 0; j < k; j++)
                    NAME(mm_nt)(m, fo, fi, h0 + (j * n + row0[c]) * fi, w[0], z[i] + (ptrdiff_t)j * m * fo);
            NAME(forward_tiles)(act, k, n_first, n_sel, sel, m, fo, z[i + l], b[l], bt + l * BLOCK, h[i + l],
                                d1[i + l], 0, NAME(tiles)(m, fo));
        }
        const int fi = width[L - 1], fo = width[L];
        for (int j = 0; j < k; j++)
            NAME(mm_nt)(m, fo, fi, h[i + L - 2] + (ptrdiff_t)j * m * fi, w[L - 1], out + (j * n + row0[c]) * fo);
        for (ptrdiff_t r = row0[c]; r < row0[c] + m; r++)
            for (int o = 0; o < fo; o++) out[r * fo + o] += b[L - 1][o];
    }
    free(bt);
    return 0;
}

/* From g (K, n, width[L]), the gradient of a scalar w.r.t. the output: gw[l] += its gradient w.r.t. W_l, laid out
 * W-shaped (width[l+1], width[l]) if width[l] >= width[l+1], else transposed (BLAS is 2-3x slower at a sum whose
 * column-major view has the short side as rows); gb[l] (width[l+1]) += that w.r.t. b_l; gh0 (K, n, width[0]), unless
 * NULL, = that w.r.t. the input. Each thread sums into its own copies, folded in thread order at the end, so the
 * result depends on the thread count only. `scratch`: 2 blocks of `len` elements a thread, len >= K x rows x any
 * width. Returns -1 (nothing written) if no memory could be had for the per-thread sums, else 0. */
int NAME(jet_pass_backward)(int act, int k, int n_first, int n_sel, const int *sel, int L, const int *width,
                            const REAL *const *w, int n_chunks, const ptrdiff_t *row0, const int *rows, ptrdiff_t n,
                            const REAL *h0, REAL *const *h, REAL *const *z, REAL *const *d1, const REAL *g,
                            REAL *const *gw, REAL *const *gb, REAL *gh0, REAL *scratch, ptrdiff_t len, int threads)
{
    /* per-thread sums, layer by layer: a layer's weight sums of every thread, then (after all weights) its
     * tile-shaped bias sums of every thread; P and B are one thread's elements of each over all layers */
    ptrdiff_t P = 0, B = 0;
    for (int l = 0; l < L; l++) {
        P += (ptrdiff_t)width[l] * width[l + 1];
        B += TILE_LEN(width[l + 1]);
    }
    REAL *part = calloc((size_t)threads * (P + B), sizeof(REAL));
    if (!part)
        return -1;
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        const int t = omp_get_thread_num();
        REAL *ga = scratch + 2 * t * len, *gh = ga + len;
#pragma omp for schedule(static)
        for (int c = 0; c < n_chunks; c++) {
            const int m = rows[c], i = c * (L - 1);
            for (int j = 0; j < k; j++)
                memcpy(ga + (ptrdiff_t)j * m * width[L], g + (j * n + row0[c]) * width[L],
                       (size_t)m * width[L] * sizeof(REAL));
            ptrdiff_t ow = P, ob = B;
            for (int l = L - 1; l >= 0; l--) {
                const int fi = width[l], fo = width[l + 1];
                ow -= (ptrdiff_t)fi * fo;
                ob -= TILE_LEN(fo);
                REAL *pw = part + threads * ow + t * fi * fo, *pb = part + threads * (P + ob) + t * TILE_LEN(fo);
                if (l == L - 1)
                    for (ptrdiff_t e = 0; e < (ptrdiff_t)m * fo; e++) pb[e % fo] += ga[e];
                else  /* gh holds the gradient w.r.t. the layer's output */
                    NAME(backward_tiles)(act, k, n_first, n_sel, sel, m, fo, z[i + l], h[i + l], d1[i + l], gh, ga,
                                         pb, 0, NAME(tiles)(m, fo));
                /* the layer's input: a slot at a time from the pass's input for the first */
                for (int j = 0; j < (l ? 1 : k); j++) {
                    const int rk = l ? k * m : m;
                    const REAL *in = l ? h[i + l - 1] : h0 + (j * n + row0[c]) * fi, *gj = ga + (ptrdiff_t)j * m * fo;
                    if (fi >= fo)
                        NAME(mm_tn_add)(fo, fi, rk, gj, in, pw);
                    else
                        NAME(mm_tn_add)(fi, fo, rk, in, gj, pw);
                }
                if (l)
                    NAME(mm_nn)(k * m, fi, fo, ga, w[l], gh);
                else if (gh0)
                    for (int j = 0; j < k; j++)
                        NAME(mm_nn)(m, fi, fo, ga + (ptrdiff_t)j * m * fo, w[0], gh0 + (j * n + row0[c]) * fi);
            }
        }
    }
    for (ptrdiff_t l = 0, ow = 0, ob = 0; l < L; l++) {
        const ptrdiff_t size = (ptrdiff_t)width[l] * width[l + 1], f = width[l + 1];
        NAME(fold)(size, size, threads, part + threads * ow, gw[l]);
        NAME(fold)(TILE_LEN(f), f, threads, part + threads * (P + ob), gb[l]);
        ow += size;
        ob += TILE_LEN(f);
    }
    free(part);
    return 0;
}
