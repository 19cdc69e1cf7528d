/* The jet pass's elementwise work at one layer, for one floating type: included by _jet.c once per type with
 * REAL (the type), NAME(f) (f's name for that type) and TANH, SIN, COS (its functions) defined.
 *
 * Layout (nnphys.pinn.derivatives.JetPass): a chunk of m rows and f features holds K slots slot-major,
 * slot j at offset j*S, S = m*f: slot 0 the value, slots 1..n_first first derivatives, then n_sel second
 * derivatives, the q-th along first slot sel[q]. Work goes in blocks of at most BLOCK elements of a slot,
 * each slot's block an innermost loop the compiler vectorizes (σ through glibc's vector math). */

/* Forward:  s = σ(z_0 + b),  h_0 = s,  d1 = σ'(z_0 + b),  h_j = σ' z_j (j >= 1),
 *           h_{1+n_first+q} += σ'' z_{1+sel[q]}^2.   z_0 is left as it was. */
CLONES static void NAME(forward_block)(int act, int k, int n_first, int n_sel, const int *sel, ptrdiff_t S,
                                       ptrdiff_t o, ptrdiff_t n, const REAL *z, const REAL *b, REAL *h, REAL *d1)
{
    REAL a[BLOCK], p[BLOCK];
    const REAL *z0 = z + o;
    REAL *s = h + o, *d = d1 + o;
    for (ptrdiff_t c = 0; c < n; c++) a[c] = z0[c] + b[c];
    if (act == ACT_TANH) {
        for (ptrdiff_t c = 0; c < n; c++) s[c] = TANH(a[c]);
        for (ptrdiff_t c = 0; c < n; c++) { d[c] = 1 - s[c] * s[c]; p[c] = -2 * s[c] * d[c]; }
    } else {
        for (ptrdiff_t c = 0; c < n; c++) s[c] = SIN(a[c]);
        for (ptrdiff_t c = 0; c < n; c++) d[c] = COS(a[c]);
        for (ptrdiff_t c = 0; c < n; c++) p[c] = -s[c];
    }
    for (int j = 1; j < k; j++) {
        const REAL *zj = z + j * S + o;
        REAL *hj = h + j * S + o;
        for (ptrdiff_t c = 0; c < n; c++) hj[c] = d[c] * zj[c];
    }
    for (int q = 0; q < n_sel; q++) {
        const REAL *zi = z + (1 + sel[q]) * S + o;
        REAL *hq = h + (1 + n_first + q) * S + o;
        for (ptrdiff_t c = 0; c < n; c++) hq[c] += p[c] * zi[c] * zi[c];
    }
}

/* Backward, from g = ∂L/∂h to ∂L/∂z:
 *   ∂/∂z_j = g_j σ' (j >= 1),  and for each second slot q on first slot i: ∂/∂z_i += 2 σ'' g_q z_i;
 *   ∂/∂z_0 = g_0 σ' + σ'' Σ_{j>=1} g_j z_j + σ''' Σ_q g_q z_i^2,   and (bsum not NULL) bsum += ∂/∂z_0
 * (the bias's gradient is ∂/∂z_0 summed over rows: added while the block is in cache). */
CLONES static void NAME(backward_block)(int act, int k, int n_first, int n_sel, const int *sel, ptrdiff_t S,
                                        ptrdiff_t o, ptrdiff_t n, const REAL *z, const REAL *s, const REAL *d1,
                                        const REAL *g, REAL *gz, REAL *bsum)
{
    REAL p[BLOCK], p3[BLOCK], acc[BLOCK];
    const REAL *d = d1 + o, *v = s + o, *g0 = g + o;
    REAL *out0 = gz + o;
    if (act == ACT_TANH) {  /* tanh'' = -2 tanh tanh',  tanh''' = tanh' (4 - 6 tanh') */
        for (ptrdiff_t c = 0; c < n; c++) { p[c] = -2 * v[c] * d[c]; p3[c] = d[c] * (4 - 6 * d[c]); }
    } else {                /* sin'' = -sin,  sin''' = -cos */
        for (ptrdiff_t c = 0; c < n; c++) { p[c] = -v[c]; p3[c] = -d[c]; }
    }
    for (ptrdiff_t c = 0; c < n; c++) acc[c] = 0;
    for (int j = 1; j < k; j++) {
        const REAL *zj = z + j * S + o, *gj = g + j * S + o;
        REAL *oj = gz + j * S + o;
        for (ptrdiff_t c = 0; c < n; c++) { oj[c] = gj[c] * d[c]; acc[c] += gj[c] * zj[c]; }
    }
    for (ptrdiff_t c = 0; c < n; c++) out0[c] = g0[c] * d[c] + p[c] * acc[c];
    for (int q = 0; q < n_sel; q++) {
        const REAL *zi = z + (1 + sel[q]) * S + o, *gq = g + (1 + n_first + q) * S + o;
        REAL *oi = gz + (1 + sel[q]) * S + o;
        for (ptrdiff_t c = 0; c < n; c++) {
            const REAL t = gq[c] * zi[c];
            oi[c] += 2 * p[c] * t;
            out0[c] += p3[c] * t * zi[c];
        }
    }
    if (bsum)
        for (ptrdiff_t c = 0; c < n; c++) bsum[c] += out0[c];
}

/* The blocks a chunk is swept in: tiles of R = BLOCK / f whole rows where a row fits in a block (contiguous in every
 * slot, so each loop runs over R f elements and pays the vector remainder once a tile, not once a row: at f = 100
 * that remainder was 4 scalar tanh calls a row), else one row in blocks of BLOCK features. */
#define TILE_ROWS(f) ((f) <= BLOCK ? BLOCK / (f) : 1)
#define TILE_LEN(f) (TILE_ROWS(f) * (f)) /* a tile's elements in a slot */

/* Tiles t0..t1-1 of one layer of a chunk: z, h (K, m, f); b (f), bt (b repeated over a tile's rows); d1 (m, f). */
static void NAME(forward_tiles)(int act, int k, int n_first, int n_sel, const int *sel, ptrdiff_t m, ptrdiff_t f,
                                const REAL *z, const REAL *b, const REAL *bt, REAL *h, REAL *d1, ptrdiff_t t0,
                                ptrdiff_t t1)
{
    const ptrdiff_t S = m * f, R = TILE_ROWS(f);
    for (ptrdiff_t t = t0; t < t1; t++) {
        const ptrdiff_t r0 = t * R, rows = m - r0 < R ? m - r0 : R;
        if (f <= BLOCK) {
            NAME(forward_block)(act, k, n_first, n_sel, sel, S, r0 * f, rows * f, z, bt, h, d1);
            continue;
        }
        for (ptrdiff_t c0 = 0; c0 < f; c0 += BLOCK)
            NAME(forward_block)(act, k, n_first, n_sel, sel, S, r0 * f + c0, f - c0 < BLOCK ? f - c0 : BLOCK,
                                z, b + c0, h, d1);
    }
}

/* Tiles t0..t1-1 of the backward of one layer of a chunk; the bias's gradient is added to the tile-shaped `bsum`
 * (TILE_LEN(f) elements) unless it is NULL. */
static void NAME(backward_tiles)(int act, int k, int n_first, int n_sel, const int *sel, ptrdiff_t m, ptrdiff_t f,
                                 const REAL *z, const REAL *s, const REAL *d1, const REAL *g, REAL *gz, REAL *bsum,
                                 ptrdiff_t t0, ptrdiff_t t1)
{
    const ptrdiff_t S = m * f, R = TILE_ROWS(f);
    for (ptrdiff_t t = t0; t < t1; t++) {
        const ptrdiff_t r0 = t * R, rows = m - r0 < R ? m - r0 : R;
        if (f <= BLOCK) {
            NAME(backward_block)(act, k, n_first, n_sel, sel, S, r0 * f, rows * f, z, s, d1, g, gz, bsum);
            continue;
        }
        for (ptrdiff_t c0 = 0; c0 < f; c0 += BLOCK)
            NAME(backward_block)(act, k, n_first, n_sel, sel, S, r0 * f + c0, f - c0 < BLOCK ? f - c0 : BLOCK,
                                 z, s, d1, g, gz, bsum ? bsum + c0 : NULL);
    }
}

static void NAME(tile_bias)(ptrdiff_t f, const REAL *b, REAL *bt)
{
    if (f <= BLOCK)
        for (ptrdiff_t c = 0; c < TILE_LEN(f); c++) bt[c] = b[c % f];
}

/* out (f) += per-thread sums `part` (threads x len, len a multiple of f, e.g. a tile's), folded in thread order. */
static void NAME(fold)(ptrdiff_t len, ptrdiff_t f, int threads, const REAL *part, REAL *out)
{
    for (int t = 0; t < threads; t++)
        for (ptrdiff_t c = 0; c < len; c++) out[c % f] += part[t * len + c];
}

/* One layer of a chunk: z, h (K, m, f); b (f); d1, s (m, f); tiles shared out among `threads` OpenMP threads. */
void NAME(jet_forward)(int act, int k, int n_first, int n_sel, const int *sel, ptrdiff_t m, ptrdiff_t f,
                       const REAL *z, const REAL *b, REAL *h, REAL *d1, int threads)
{
    const ptrdiff_t tiles = (m + TILE_ROWS(f) - 1) / TILE_ROWS(f);
    REAL bt[BLOCK];
    NAME(tile_bias)(f, b, bt);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (ptrdiff_t t = 0; t < tiles; t++)
        NAME(forward_tiles)(act, k, n_first, n_sel, sel, m, f, z, b, bt, h, d1, t, t + 1);
}

/* gb (f) += the bias's gradient, unless gb is NULL: each thread sums its tiles into its own tile-shaped row of
 * `part`, and the rows are folded in thread order, so the result depends on the thread count only. Returns -1
 * (nothing written) if `part` could not be allocated, else 0. */
int NAME(jet_backward)(int act, int k, int n_first, int n_sel, const int *sel, ptrdiff_t m, ptrdiff_t f,
                       const REAL *z, const REAL *s, const REAL *d1, const REAL *g, REAL *gz, REAL *gb, int threads)
{
    const ptrdiff_t L = TILE_LEN(f), tiles = (m + TILE_ROWS(f) - 1) / TILE_ROWS(f);
    REAL *part = NULL;
    if (gb && !(part = calloc((size_t)threads * L, sizeof(REAL))))
        return -1;
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        REAL *mine = part ? part + omp_get_thread_num() * L : NULL;
#pragma omp for schedule(static)
        for (ptrdiff_t t = 0; t < tiles; t++)
            NAME(backward_tiles)(act, k, n_first, n_sel, sel, m, f, z, s, d1, g, gz, mine, t, t + 1);
    }
    if (part) {
        NAME(fold)(L, f, threads, part, gb);
        free(part);
    }
    return 0;
}
