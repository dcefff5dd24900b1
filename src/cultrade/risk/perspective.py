"""The enterprise's perspective: the tree of the indicators in use and the weights of each node.

Weights come from a scheme (``equal``: all 1; ``expert``: the framework's
weights; ``pca``: indicator weights from the first principal component within
each sub-dimension, sub-dimension and dimension weights from the framework),
then explicit ``weights={node_id: w}`` replace single nodes, then the domain
profile's multipliers multiply them (games weigh digital barriers more, crafts
the tariff and logistics proxies, ...). The home country enters through the
home-dependent indicators of the panel (see :mod:`cultrade.risk.panel`).

>>> from cultrade.risk.framework import load_framework
>>> fw = load_framework()
>>> st = structure(fw, ["wgi_rl", "wgi_cc", "inflation"])
>>> st.dim_ids, st.sub_ids
(('political', 'economic'), ('institutions', 'prices'))
>>> w = node_weights(fw, st, "expert", domain="games")
>>> w["dim"].tolist()   # the framework's weights; no barriers dimension here, so games changes nothing
[1.5, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cultrade.errors import ConfigError
from cultrade.risk.framework import Framework
from cultrade.risk.options import check
from cultrade.risk.steps import Tree, pca_weights


@dataclass(frozen=True)
class Structure:
    """The framework restricted to the indicators in use, with positions for the arrays."""

    ind_ids: tuple[str, ...]
    sub_ids: tuple[str, ...]
    dim_ids: tuple[str, ...]
    tree: Tree
    expert: dict[str, float]

    def level_of(self, node: str) -> str:
        if node in self.dim_ids:
            return "dim"
        if node in self.sub_ids:
            return "sub"
        return "ind"


def structure(framework: Framework, indicator_ids: Sequence[str]) -> Structure:
    """Dimensions and sub-dimensions that keep at least one of ``indicator_ids``, in framework order."""
    wanted = set(indicator_ids)
    inds: list[str] = []
    subs: list[str] = []
    dims: list[str] = []
    ind_sub: list[int] = []
    sub_dim: list[int] = []
    expert: dict[str, float] = {}
    for d in framework.dimensions:
        d_used = False
        for s in d.subdimensions:
            members = [i for i in s.indicators if i.enabled and i.id in wanted]
            if not members:
                continue
            if not d_used:
                dims.append(d.id)
                expert[d.id] = d.weight
                d_used = True
            subs.append(s.id)
            expert[s.id] = s.weight
            sub_dim.append(len(dims) - 1)
            for i in members:
                inds.append(i.id)
                expert[i.id] = i.weight
                ind_sub.append(len(subs) - 1)
    return Structure(tuple(inds), tuple(subs), tuple(dims),
                     Tree(np.asarray(ind_sub, dtype=int), np.asarray(sub_dim, dtype=int)), expert)


def node_weights(framework: Framework, st: Structure, scheme: str, *, domain: str = "general",
                 weights: Mapping[str, float] | None = None, norm: np.ndarray | None = None
                 ) -> dict[str, np.ndarray]:
    """Weights of indicators (``ind``), sub-dimensions (``sub``) and dimensions (``dim``)."""
    check("weighting", scheme)
    profile = framework.domain(domain)
    levels = {"ind": st.ind_ids, "sub": st.sub_ids, "dim": st.dim_ids}
    out = {lvl: np.array([1.0 if scheme == "equal" else st.expert[i] for i in ids])
           for lvl, ids in levels.items()}
    if scheme == "pca":
        if norm is None:
            raise ConfigError("PCA weights need the normalised panel", hint="use RiskIndex, which passes it")
        out["ind"] = pca_weights(norm, st.tree)
    known = set(framework.node_ids())
    for node, value in (weights or {}).items():
        if node not in known:
            raise ConfigError(f"weights name an unknown node {node!r}",
                              hint="use dimension, sub-dimension or indicator ids from the framework")
        if value < 0:
            raise ConfigError(f"weight of {node!r} is negative ({value})", hint="use a weight >= 0")
        lvl = st.level_of(node)
        if node in levels[lvl]:
            out[lvl][levels[lvl].index(node)] = float(value)
    for node, mult in profile.multipliers.items():
        lvl = st.level_of(node)
        if node in levels[lvl]:
            out[lvl][levels[lvl].index(node)] *= mult
    for lvl, arr in out.items():
        if arr.size and not np.isfinite(arr).all():
            raise ConfigError(f"non-finite {lvl} weights", hint="check the weights and domain multipliers")
    return out


__all__ = ["Structure", "node_weights", "structure"]
