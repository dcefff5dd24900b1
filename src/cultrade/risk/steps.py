"""The index's steps as pure functions on dense arrays (years x countries x indicators).

Each returns new arrays plus the parameters it estimated, so the index can log
them. Normalised values are in [0, 1] with 1 = most risk. The aggregation takes
weights with any leading batch shape, so a Monte Carlo over weights runs as a
few matrix products (see :func:`aggregate`).

>>> x = np.array([[[0.0], [5.0], [10.0]]])          # 1 year, 3 countries, 1 indicator
>>> normalise(x, "minmax", np.array([True]))[0][0, :, 0].tolist()
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cultrade.risk.options import check

GEO_LOW, GEO_HIGH = 1.0, 10.0  # geometric means are taken on 1 + 9 * v, as in INFORM's 0-10 scale


@dataclass(frozen=True)
class Tree:
    """Membership: indicator -> sub-dimension -> dimension (integer positions)."""

    ind_sub: np.ndarray
    sub_dim: np.ndarray

    @property
    def n_sub(self) -> int:
        return int(self.sub_dim.size)

    @property
    def n_dim(self) -> int:
        return int(self.sub_dim.max()) + 1 if self.sub_dim.size else 0

    def ind_dim(self) -> np.ndarray:
        return self.sub_dim[self.ind_sub]

    def membership(self, level: str) -> np.ndarray:
        """0/1 matrix: (K, S) for ``"sub"``, (S, D) for ``"dim"``."""
        rows, groups, n = (self.ind_sub, self.ind_sub, self.n_sub) if level == "sub" else (
            self.sub_dim, self.sub_dim, self.n_dim)
        m = np.zeros((rows.size, n))
        m[np.arange(rows.size), groups] = 1.0
        return m


# -- transformation and treatment ----------------------------------------------------------
def apply_log(x: np.ndarray, kind: str) -> np.ndarray:
    """``log`` (NaN for x <= 0), ``log1p`` (NaN for x <= -1), ``signed_log`` = sign(x) log(1 + |x|).

    >>> np.round(apply_log(np.array([-9.0, 0.0, 9.0]), "signed_log"), 4).tolist()
    [-2.3026, 0.0, 2.3026]
    """
    check("log", kind)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "log":
            return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)
        if kind == "log1p":
            return np.where(x > -1, np.log1p(np.where(x > -1, x, 0.0)), np.nan)
        if kind == "signed_log":
            return np.sign(x) * np.log1p(np.abs(x))
    return x.copy()


def carry(values: np.ndarray, present: np.ndarray, forward: np.ndarray, backward: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill gaps along years from the nearest observed year within ``forward``/``backward`` years.

    Returns (values, carried mask, source-year offset: the year difference to the value used).
    Forward wins when both directions are in reach at the same distance.

    >>> v = np.array([[[1.0]], [[np.nan]], [[np.nan]], [[4.0]]])
    >>> out, carried, _ = carry(v, ~np.isnan(v), np.array([1]), np.array([0]))
    >>> out[:, 0, 0].tolist(), carried[:, 0, 0].tolist()
    ([1.0, 1.0, nan, 4.0], [False, True, False, False])
    """
    out = values.copy()
    carried = np.zeros(values.shape, dtype=bool)
    lag = np.zeros(values.shape)
    n_years = values.shape[0]
    reach = int(max(np.max(forward, initial=0), np.max(backward, initial=0)))
    for dist in range(1, min(reach, n_years - 1) + 1):
        for sign, limit in ((1, forward), (-1, backward)):
            ok = limit >= dist  # (K,)
            if not ok.any():
                continue
            src = np.full(values.shape, False)
            shifted = np.full(values.shape, np.nan)
            if sign == 1:
                shifted[dist:] = values[:-dist]
                src[dist:] = present[:-dist]
            else:
                shifted[:-dist] = values[dist:]
                src[:-dist] = present[dist:]
            fill = ~present & ~carried & src & ok[None, None, :]
            out[fill] = shifted[fill]
            carried |= fill
            lag[fill] = sign * dist
    return out, carried, lag


def winsorise(x: np.ndarray, fit_mask: np.ndarray, quantiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clip each indicator at its pooled quantiles, estimated on the cells in ``fit_mask``.

    ``quantiles`` is (K, 2); rows of NaN leave the indicator untouched. Returns the
    clipped cube and the (K, 2) bounds.

    >>> x = np.arange(11.0).reshape(1, 11, 1)
    >>> c, b = winsorise(x, ~np.isnan(x), np.array([[0.1, 0.9]]))
    >>> b.tolist(), c[0, :, 0].tolist()[:2]
    ([[1.0, 9.0]], [1.0, 1.0])
    """
    out = x.copy()
    bounds = np.full((x.shape[-1], 2), np.nan)
    for k in range(x.shape[-1]):
        q = quantiles[k]
        vals = x[..., k][fit_mask[..., k] & ~np.isnan(x[..., k])]
        if np.isnan(q).any() or vals.size == 0:
            continue
        lo, hi = np.quantile(vals, q)
        bounds[k] = (lo, hi)
        out[..., k] = np.clip(x[..., k], lo, hi)
    return out, bounds


# -- normalisation ---------------------------------------------------------------------------
def normalise(x: np.ndarray, method: str, more_risk: np.ndarray, *, fit_mask: np.ndarray | None = None,
              goalposts: np.ndarray | None = None, scope: str = "panel") -> tuple[np.ndarray, dict[str, Any]]:
    """Map each indicator to [0, 1], 1 = most risk; parameters fitted on ``fit_mask`` cells.

    * ``minmax``: (x - min) / (max - min)
    * ``zscore``: z = (x - mean) / sd, clipped to [-3, 3] and mapped to (z + 3) / 6
    * ``rank``: percentile rank among the fitted cells (ties share the mean rank)
    * ``goalposts``: (x - lo) / (hi - lo) clipped to [0, 1]; lo/hi from the framework or the
      panel's 5th/95th percentiles (its min/max when those coincide, e.g. for 0/1 indicators)
    With ``scope="year"`` minmax/zscore/rank are fitted year by year. Indicators where
    ``more_risk`` is False are flipped (1 - v).
    """
    check("normalisation", method)
    check("normalisation_scope", scope)
    fit = ~np.isnan(x) if fit_mask is None else (fit_mask & ~np.isnan(x))
    if scope == "year" and method != "goalposts":
        parts = [normalise(x[t:t + 1], method, more_risk, fit_mask=fit[t:t + 1], scope="panel")
                 for t in range(x.shape[0])]
        return np.concatenate([p[0] for p in parts], axis=0), {"per_year": [p[1] for p in parts]}
    K = x.shape[-1]
    flat = x.reshape(-1, K)
    fflat = fit.reshape(-1, K)
    out = np.full(flat.shape, np.nan)
    a = np.full(K, np.nan)
    b = np.full(K, np.nan)
    for k in range(K):
        vals = flat[fflat[:, k], k]
        if vals.size == 0:
            continue
        col = flat[:, k]
        if method == "minmax":
            a[k], b[k] = vals.min(), vals.max()
            out[:, k] = (col - a[k]) / (b[k] - a[k]) if b[k] > a[k] else np.nan
        elif method == "zscore":
            a[k], b[k] = vals.mean(), vals.std(ddof=0)
            out[:, k] = (np.clip((col - a[k]) / b[k], -3, 3) + 3) / 6 if b[k] > 0 else np.nan
        elif method == "rank":
            srt = np.sort(vals)
            a[k], b[k] = srt[0], srt[-1]
            lo = np.searchsorted(srt, col, side="left")
            hi = np.searchsorted(srt, col, side="right")
            out[:, k] = ((lo + hi - 1) / 2) / (srt.size - 1) if srt.size > 1 else np.nan
        else:
            gp = goalposts[k] if goalposts is not None else np.array([np.nan, np.nan])
            a[k], b[k] = gp if not np.isnan(gp).any() else np.quantile(vals, [0.05, 0.95])
            if np.isnan(gp).any() and not b[k] > a[k]:
                a[k], b[k] = vals.min(), vals.max()
            out[:, k] = np.clip((col - a[k]) / (b[k] - a[k]), 0, 1) if b[k] > a[k] else np.nan
        out[np.isnan(col), k] = np.nan
    out = np.where(more_risk[None, :], out, 1.0 - out)
    names = {"minmax": ("min", "max"), "zscore": ("mean", "sd"), "rank": ("min", "max"),
             "goalposts": ("lo", "hi")}[method]
    return out.reshape(x.shape), {names[0]: a.tolist(), names[1]: b.tolist()}


# -- weights -------------------------------------------------------------------------------
def pca_weights(norm: np.ndarray, tree: Tree) -> np.ndarray:
    """Indicator weights from the first principal component within each sub-dimension.

    Squared loadings of the first eigenvector of the correlation matrix of the
    complete cases (pooled over the panel), summing to 1 in each sub-dimension;
    equal weights where there are fewer than 3 complete cases or one indicator.
    """
    K = norm.shape[-1]
    flat = norm.reshape(-1, K)
    w = np.ones(K)
    for s in range(tree.n_sub):
        idx = np.flatnonzero(tree.ind_sub == s)
        if idx.size < 2:
            continue
        block = flat[:, idx]
        block = block[~np.isnan(block).any(axis=1)]
        if block.shape[0] < 3 or np.any(block.std(axis=0) == 0):
            w[idx] = 1.0 / idx.size
            continue
        _, vecs = np.linalg.eigh(np.corrcoef(block, rowvar=False))
        load = vecs[:, -1] ** 2
        w[idx] = load / load.sum()
    return w


# -- aggregation ---------------------------------------------------------------------------
def _level(values: np.ndarray, avail: np.ndarray, weights: np.ndarray, member: np.ndarray, method: str
           ) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean of ``values`` (..., N, K) into groups (..., N, G), renormalised over available items.

    ``weights`` (..., K) may carry batch dimensions; returns (scores, group available).
    """
    wm = weights[..., :, None] * member  # (..., K, G)
    safe = np.where(avail, values, 0.0)
    filled = np.where(avail, np.log(GEO_LOW + (GEO_HIGH - GEO_LOW) * safe), 0.0) if method == "geometric" else safe
    num = filled @ wm
    den = avail.astype(float) @ wm
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = num / den
    if method == "geometric":
        mean = (np.exp(mean) - GEO_LOW) / (GEO_HIGH - GEO_LOW)
    ok = den > 0
    return np.where(ok, mean, np.nan), ok


@dataclass
class Aggregated:
    index: np.ndarray          # (..., Y, C) in [0, 1], NaN when insufficient
    dims: np.ndarray           # (..., Y, C, D)
    subs: np.ndarray           # (..., Y, C, S)
    coverage: np.ndarray       # (..., Y, C) share of the index weight available
    insufficient: np.ndarray   # (..., Y, C) bool


def effective_weights(tree: Tree, w_ind: np.ndarray, w_sub: np.ndarray, w_dim: np.ndarray) -> np.ndarray:
    """Each indicator's share of the index when every indicator is available (sums to 1).

    >>> t = Tree(np.array([0, 0, 1]), np.array([0, 1]))
    >>> effective_weights(t, np.ones(3), np.ones(2), np.ones(2)).tolist()
    [0.25, 0.25, 0.5]
    """
    ms, md = tree.membership("sub"), tree.membership("dim")
    share_in_sub = w_ind / (w_ind @ ms)[..., tree.ind_sub]
    share_sub = w_sub / (w_sub @ md)[..., tree.sub_dim]
    share_dim = w_dim / w_dim.sum(axis=-1, keepdims=True)
    return share_in_sub * share_sub[..., tree.ind_sub] * share_dim[..., tree.ind_dim()]


def dimension_sufficiency(avail: np.ndarray, observed: np.ndarray, tree: Tree, w_ind: np.ndarray,
                          w_sub: np.ndarray, *, min_share: float = 0.5, min_observed: int = 1
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which dimensions of each cell have enough data: (sufficient, available share, observed count).

    ``avail`` and ``observed`` are (Y, C, K) masks: a value is there at all, and it rests on an
    observation (not a forecast or an imputation). A dimension is sufficient when the available
    indicators carry at least ``min_share`` of its weight and at least ``min_observed`` of them (all of
    them, in a dimension with fewer indicators) rest on an observation. All three results are (Y, C, D).

    >>> t = Tree(np.array([0, 0, 1]), np.array([0, 0]))          # one dimension, two sub-dimensions
    >>> ok, share, n = dimension_sufficiency(np.array([[[True, True, False]]]), np.array([[[False, True, False]]]),
    ...                                      t, np.ones(3), np.ones(2))
    >>> ok.tolist(), share.tolist(), n.tolist()
    ([[[True]]], [[[0.5]]], [[[1]]])
    """
    ms = tree.membership("sub")
    within_sub = w_ind / np.where((w_ind @ ms) > 0, w_ind @ ms, 1.0)[tree.ind_sub]
    sub_in_dim = w_sub / np.where((w_sub @ tree.membership("dim")) > 0, w_sub @ tree.membership("dim"), 1.0)[tree.sub_dim]
    eff = within_sub * sub_in_dim[tree.ind_sub]                       # (K,): sums to 1 in each dimension
    member = np.zeros((tree.ind_sub.size, tree.n_dim))
    member[np.arange(tree.ind_sub.size), tree.ind_dim()] = 1.0
    share = avail.astype(float) @ (eff[:, None] * member)
    count = (observed & avail).astype(int) @ member.astype(int)
    need = np.minimum(min_observed, member.sum(axis=0).astype(int))
    return (share >= min_share - 1e-12) & (count >= need), share, count


def aggregate(norm: np.ndarray, tree: Tree, w_ind: np.ndarray, w_sub: np.ndarray, w_dim: np.ndarray, *,
              within: str = "arithmetic", between: str = "arithmetic", min_coverage: float = 0.6,
              require_all_dimensions: bool = True, dim_override: np.ndarray | None = None,
              dim_mask: np.ndarray | None = None, required: np.ndarray | None = None) -> Aggregated:
    """Indicators -> sub-dimensions -> dimensions (``within``) -> index (``between``).

    ``norm`` is (Y, C, K) in [0, 1], NaN = not available; weights are (K,), (S,), (D,)
    or carry a common leading batch shape (B, K) etc. Missing items are skipped and
    the weights of the rest renormalised; a country-year whose available share of
    the index weight is below ``min_coverage`` (or, with ``require_all_dimensions``,
    that lacks a whole dimension) is insufficient and gets NaN, not an average.
    ``dim_override`` (Y, C, D) replaces dimension scores where it is not NaN. ``dim_mask`` (Y, C, D,
    from :func:`dimension_sufficiency`) leaves insufficient dimensions out of the cell; then only the
    ``required`` dimensions (a (D,) mask, default all) must be present for a score.

    >>> t = Tree(np.array([0, 1]), np.array([0, 1]))
    >>> a = aggregate(np.array([[[0.2, 0.6]]]), t, np.ones(2), np.ones(2), np.ones(2))
    >>> round(float(a.index[0, 0]), 6)
    0.4
    """
    check("aggregation", within)
    check("aggregation", between)
    Y, C, K = norm.shape
    flat = norm.reshape(Y * C, K)
    avail = ~np.isnan(flat)
    subs, sub_ok = _level(flat, avail, w_ind, tree.membership("sub"), within)
    dims, dim_ok = _level(subs, sub_ok, w_sub, tree.membership("dim"), within)
    D = dims.shape[-1]
    if dim_mask is not None:
        keep = dim_mask.reshape(Y * C, D)
        dims = np.where(keep, dims, np.nan)
        dim_ok = dim_ok & keep
        avail = avail & keep[:, tree.ind_dim()]
    if dim_override is not None:
        ov = dim_override.reshape(Y * C, -1)
        dims = np.where(np.isnan(ov), dims, ov)
        dim_ok = dim_ok | ~np.isnan(ov)
    index, _ = _level(dims, dim_ok, w_dim, np.ones((D, 1)), between)
    coverage = avail.astype(float) @ effective_weights(tree, w_ind, w_sub, w_dim)[..., :, None]
    coverage = coverage[..., 0]
    insufficient = coverage < min_coverage - 1e-12
    if require_all_dimensions:
        need = np.ones(D, dtype=bool) if required is None else np.asarray(required, dtype=bool)
        insufficient = insufficient | ~dim_ok[..., need].all(axis=-1)
    index = np.where(insufficient, np.nan, index[..., 0])
    lead = index.shape[:-1]
    return Aggregated(index.reshape(*lead, Y, C), dims.reshape(*lead, Y, C, D),
                      subs.reshape(*lead, Y, C, -1), coverage.reshape(*lead, Y, C),
                      insufficient.reshape(*lead, Y, C))


def _to_log(x: np.ndarray) -> np.ndarray:
    return np.log(GEO_LOW + (GEO_HIGH - GEO_LOW) * x)


def _from_log(x: np.ndarray) -> np.ndarray:
    return (np.exp(x) - GEO_LOW) / (GEO_HIGH - GEO_LOW)


def score_batch(norm: np.ndarray, tree: Tree, w_ind: np.ndarray, w_sub: np.ndarray, w_dim: np.ndarray, *,
                within: str = "arithmetic", between: str = "arithmetic", min_coverage: float = 0.6,
                require_all_dimensions: bool = True, dim_override: np.ndarray | None = None,
                dim_mask: np.ndarray | None = None, required: np.ndarray | None = None,
                dtype: type = np.float32) -> np.ndarray:
    """Index values in [0, 1], shape (B, Y, C), for B weight draws at once (the Monte Carlo kernel).

    Same rules as :func:`aggregate` (renormalisation over missing items, coverage
    and whole-dimension rules, dimension overrides), computed as one GEMM for the
    indicator level and cheap (N, B) sums above it, in ``dtype`` (float32 by
    default: agrees with :func:`aggregate` to about 1e-6).

    >>> t = Tree(np.array([0, 1]), np.array([0, 1]))
    >>> score_batch(np.array([[[0.2, 0.6]]]), t, np.array([[1.0, 1.0], [1.0, 3.0]]), np.ones((2, 2)),
    ...             np.array([[1.0, 1.0], [1.0, 3.0]])).astype(float).round(4).tolist()
    [[[0.4]], [[0.5]]]
    """
    check("aggregation", within)
    check("aggregation", between)
    Y, C, K = norm.shape
    N = Y * C
    w_ind, w_sub, w_dim = (np.atleast_2d(np.asarray(w, dtype=float)) for w in (w_ind, w_sub, w_dim))
    B = w_ind.shape[0]
    S, D = tree.n_sub, tree.n_dim
    flat = norm.reshape(N, K)
    avail = ~np.isnan(flat)
    keep = None if dim_mask is None else dim_mask.reshape(N, D)
    if keep is not None:
        avail = avail & keep[:, tree.ind_dim()]
    safe = np.where(avail, flat, 0.0)
    f: np.ndarray = (np.where(avail, _to_log(safe), 0.0) if within == "geometric" else safe).astype(dtype)
    wm = np.ascontiguousarray((w_ind.T[:, None, :] * tree.membership("sub")[:, :, None]).reshape(K, S * B))
    wm = wm.astype(dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        sub = ((f @ wm) / (avail.astype(dtype) @ wm)).reshape(N, S, B)  # NaN where nothing available
        dims = np.empty((D, N, B), dtype=dtype)
        for d in range(D):
            num = np.zeros((N, B), dtype=dtype)
            den = np.zeros((N, B), dtype=dtype)
            for s in np.flatnonzero(tree.sub_dim == d):
                v = sub[:, s, :]
                ok = ~np.isnan(v)
                num += np.where(ok, v, 0) * w_sub[:, s].astype(dtype)
                den += ok * w_sub[:, s].astype(dtype)
            dims[d] = num / den
        if within == "geometric":
            dims = _from_log(dims)
        if dim_override is not None:
            ov = dim_override.reshape(N, D).T[:, :, None]
            dims = np.where(np.isnan(ov), dims, ov.astype(dtype))
        ok_d = ~np.isnan(dims)
        terms = np.where(ok_d, _to_log(np.where(ok_d, dims, 0)) if between == "geometric" else dims, 0)
        wd: np.ndarray = w_dim.T[:, None, :].astype(dtype)
        index = (terms * wd).sum(axis=0) / (ok_d * wd).sum(axis=0)
    if between == "geometric":
        index = _from_log(index)
    coverage = avail.astype(dtype) @ effective_weights(tree, w_ind, w_sub, w_dim).T.astype(dtype)  # (N, B)
    bad = coverage < min_coverage - 1e-6
    if require_all_dimensions:
        need = np.ones(D, dtype=bool) if required is None else np.asarray(required, dtype=bool)
        bad |= ~ok_d[need].all(axis=0)
    index = np.where(bad, np.nan, index)
    return np.ascontiguousarray(index.T).reshape(B, Y, C)


# -- bands and outlook ---------------------------------------------------------------------
def calibrate_bands(score: np.ndarray, quantiles: tuple[float, ...]) -> tuple[float, ...]:
    """Cut points at the pooled ``quantiles`` of the scored cells (every year together).

    Bands then mean the same share of country-years in every configuration: loading an optional
    source that lifts every score leaves the bands in place.

    >>> calibrate_bands(np.arange(11.0).reshape(1, 11), (0.2, 0.4, 0.6, 0.8))
    (2.0, 4.0, 6.0, 8.0)
    """
    vals = score[~np.isnan(score)]
    if vals.size < len(quantiles) + 1:
        return tuple(float(q) * 10.0 for q in quantiles)
    cuts = np.quantile(vals, quantiles)
    cuts = np.maximum.accumulate(cuts + np.arange(len(cuts)) * 1e-9)  # strictly increasing
    return tuple(round(float(c), 4) for c in cuts)


def bands(score: np.ndarray, cuts: tuple[float, ...]) -> np.ndarray:
    """Band position 0..4 (very low .. very high) of 0-10 scores; -1 for NaN.

    >>> bands(np.array([1.0, 2.5, 9.9, np.nan]), (2.5, 4.0, 5.5, 7.0)).tolist()
    [0, 1, 4, -1]
    """
    pos = np.digitize(np.nan_to_num(score, nan=0.0), np.asarray(cuts, dtype=float))
    return np.where(np.isnan(score), -1, pos)


def trend(score: np.ndarray, window: int) -> np.ndarray:
    """Least-squares slope (points per year) of ``score`` (Y, C) over the last ``window`` years.

    Needs at least two scored years in the window; NaN otherwise.

    >>> s = np.array([[1.0], [1.5], [2.0]])
    >>> trend(s, 3)[2].tolist()
    [0.5]
    """
    Y = score.shape[0]
    out = np.full(score.shape, np.nan)
    for t in range(Y):
        block = score[max(0, t - window + 1): t + 1]
        x = np.arange(block.shape[0], dtype=float)[:, None] * np.ones(block.shape)
        ok = ~np.isnan(block)
        n = ok.sum(axis=0)
        xm = np.where(ok, x, 0).sum(axis=0) / np.maximum(n, 1)
        ym = np.where(ok, block, 0).sum(axis=0) / np.maximum(n, 1)
        sxy = np.where(ok, (x - xm) * (np.nan_to_num(block) - ym), 0).sum(axis=0)
        sxx = np.where(ok, (x - xm) ** 2, 0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[t] = np.where((n >= 2) & (sxx > 0), sxy / sxx, np.nan)
    return out


__all__ = ["Aggregated", "Tree", "aggregate", "apply_log", "bands", "calibrate_bands", "carry",
           "dimension_sufficiency", "effective_weights", "normalise", "pca_weights", "score_batch", "trend",
           "winsorise"]
