"""GENERATED, NOT REAL: a BACI-shaped year for benchmarks and the crash-safety test.

The file has the layout of a CEPII BACI HS6 file (``t,i,j,k,v,q``) but every row
is synthetic. What is made realistic is what costs time when loading: the size
(a full year is about 11 million rows, 350-400 MB), the code distributions
(exporters and importers are real BACI country codes with Zipf-like sizes;
products are the real HS17 codes from ``data/hs17_codes.txt``), product codes
written as integers, so chapters 01-09 lose their leading zero like real HS17
files, lognormal values in thousand USD with three decimals, and quantities
right-aligned in 13 characters with about 7% ``NA``. Rows are sorted by
(i, j, k) and keys are unique, as in BACI.

>>> import tempfile, pathlib
>>> path = generate(pathlib.Path(tempfile.mkdtemp()) / "BACI_HS17_Y2022_V202401.csv", rows=1000, seed=1)
>>> lines = path.read_text().splitlines()
>>> lines[0], len(lines)
('t,i,j,k,v,q', 1001)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from cultrade.countries import get_countries

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "_data"
HS17_CODES = HERE / "data" / "hs17_codes.txt"
FULL_YEAR_ROWS = 11_000_000
NA_SHARE = 0.07


def baci_codes() -> np.ndarray:
    """One BACI numeric code per current country (the first listed is the one in use today)."""
    table = get_countries().table
    table = table[~table["historical"] & (table["baci"] != "")]
    codes = {int(str(cell).split("|")[0]) for cell in table["baci"]}
    return np.array(sorted(codes), dtype=np.int64)


def hs17_codes() -> np.ndarray:
    """The 5,384 real HS17 six-digit codes (copied from BACI's product_codes_HS17_V202401.csv)."""
    return np.array([int(c) for c in HS17_CODES.read_text().split()], dtype=np.int64)


def _zipf_weights(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    rng.shuffle(weights)  # big traders are not the low codes
    return weights / weights.sum()


def _pair_scale(pair_weight: np.ndarray, wp_sorted: np.ndarray, rows: float) -> float:
    """C such that the expected count of sum over pairs and products of min(1, C*w_pair*w_k) is ``rows``."""
    tail = np.concatenate([[0.0], np.cumsum(wp_sorted)])

    def expected(c: float) -> float:
        x = c * pair_weight
        below = np.searchsorted(wp_sorted, 1.0 / x)  # products with c*w_pair*w_k < 1
        return float(np.sum(len(wp_sorted) - below + x * tail[below]))

    lo, hi = 1.0, 1e15
    for _ in range(200):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if expected(mid) < rows else (lo, mid)
    return hi


def _keys(rows: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique (i, j, k) keys, sorted: each product enters a pair with probability min(1, C*w_i*w_j*w_k)."""
    countries, products = baci_codes(), hs17_codes()
    wc = _zipf_weights(len(countries), 1.1, rng)
    wp = _zipf_weights(len(products), 0.6, rng)
    pair = np.outer(wc, wc)
    np.fill_diagonal(pair, 0.0)
    scale = _pair_scale(pair[pair > 0], np.sort(wp), rows * 1.02)
    parts = []
    for e in range(len(countries)):
        prob = np.minimum(1.0, scale * pair[e][:, None] * wp[None, :])
        jj, kk = np.nonzero(rng.random(prob.shape) < prob)
        parts.append((e * len(countries) + jj) * len(products) + kk)
    flat = np.concatenate(parts)
    if len(flat) < rows:
        raise RuntimeError(f"generated only {len(flat)} keys for {rows} rows; raise the 1.02 margin")
    flat = flat[np.sort(rng.choice(len(flat), rows, replace=False))]
    pairs, k = np.divmod(flat, len(products))
    i, j = np.divmod(pairs, len(countries))
    return countries[i], countries[j], products[k]


def generate(path: Path, *, rows: int = FULL_YEAR_ROWS, year: int = 2022, seed: int = 20240201) -> Path:
    """Write a GENERATED BACI-shaped file of ``rows`` rows to ``path`` (atomically)."""
    rng = np.random.default_rng(seed)
    i, j, k = _keys(rows, rng)
    v = np.round(rng.lognormal(mean=2.0, sigma=2.5, size=rows), 3)
    v = np.maximum(v, 0.001)
    q = np.round(v * rng.lognormal(mean=-1.0, sigma=1.5, size=rows), 3)
    na = rng.random(rows) < NA_SHARE
    table = pa.table({"t": np.full(rows, year, dtype=np.int16), "i": i, "j": j, "k": k, "v": v, "q": q, "na": na})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    con.register("gen", table)
    # BACI right-aligns q in 13 characters and writes a missing quantity as NA.
    con.execute(
        "COPY (SELECT t, i, j, k, v, lpad(CASE WHEN na THEN 'NA' ELSE printf('%.3f', q) END, 13, ' ') AS q "
        f"FROM gen) TO '{tmp}' (HEADER, DELIMITER ',', QUOTE '')"
    )
    con.close()
    os.replace(tmp, path)
    return path


def cached(rows: int = FULL_YEAR_ROWS, *, year: int = 2022) -> Path:
    """The generated file for ``rows``, made once and kept under benchmarks/_data/ (git-ignored)."""
    path = DATA_DIR / f"rows{rows}" / f"BACI_HS17_Y{year}_V202401.csv"
    if not path.exists():
        generate(path, rows=rows, year=year)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate a BACI-shaped file (GENERATED, not real data).")
    parser.add_argument("--rows", type=int, default=FULL_YEAR_ROWS)
    args = parser.parse_args()
    print(cached(args.rows))


if __name__ == "__main__":
    main()
