"""The risk framework as data: ``framework.yaml``, a user file on top, validated by pydantic.

The tree is dimensions -> sub-dimensions -> indicators. A user file either
*merges* onto the shipped framework (mappings merge key by key, lists of items
with an ``id`` merge by id, ``remove: true`` deletes an item) or *replaces* it.
Any error becomes a :class:`~cultrade.errors.ConfigError` naming the file, the
key path (by ids, e.g. ``dimensions.political.subdimensions.institutions.indicators.wgi_rl.weight``)
and the fix.

>>> fw = load_framework()
>>> [d.id for d in fw.dimensions]
['political', 'economic', 'social', 'home', 'barriers']
>>> fw.indicator("wgi_pv").higher_means, fw.indicator("conflict_intensity").missing_means
('less_risk', 0.0)
>>> fw.domain_names()[:3]
['general', 'publishing', 'games']
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cultrade.errors import ConfigError
from cultrade.risk.options import (
    Aggregation,
    BandMethod,
    Derived,
    Direction,
    LogTransform,
    MergeMode,
    Normalisation,
    NormalisationScope,
    Outliers,
    Weighting,
    check,
)

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Label(BaseModel):
    model_config = _STRICT
    en: str
    zh: str = Field(default="", alias="zh-CN")


class Transform(BaseModel):
    """``log`` before anything else, then winsorisation at pooled panel quantiles."""

    model_config = _STRICT
    log: LogTransform = "none"
    winsorise: tuple[float, float] | None = None

    @field_validator("winsorise")
    @classmethod
    def _quantiles(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not 0.0 <= v[0] < v[1] <= 1.0:
            raise ValueError("winsorise needs two quantiles 0 <= lo < hi <= 1, e.g. [0.01, 0.99]")
        return v


class Carry(BaseModel):
    """How many years an observation may be carried forward / backward (None = global default)."""

    model_config = _STRICT
    forward: int | None = Field(default=None, ge=0)
    backward: int = Field(default=0, ge=0)


class Proxy(BaseModel):
    model_config = _STRICT
    is_proxy: bool = False
    note: str = ""


class Indicator(BaseModel):
    model_config = _STRICT
    id: str
    label: Label
    source: str
    code: str
    higher_means: Direction
    weight: float = Field(default=1.0, ge=0)
    transform: Transform = Transform()
    goalposts: tuple[float, float] | None = None
    year_offset: int = 0
    carry: Carry = Carry()
    missing_means: float | None = None
    missing_note: str = ""
    proxy: Proxy = Proxy()
    optional: bool = False
    enabled: bool = True

    @model_validator(mode="after")
    def _derived(self) -> Indicator:
        if self.source == "derived":
            check("derived", self.code)
        if self.goalposts is not None and not self.goalposts[0] < self.goalposts[1]:
            raise ValueError("goalposts must be [lo, hi] with lo < hi")
        return self


class SubDimension(BaseModel):
    model_config = _STRICT
    id: str
    label: Label
    weight: float = Field(default=1.0, ge=0)
    indicators: tuple[Indicator, ...]


class Dimension(BaseModel):
    """``required``: with ``require_all_dimensions``, a country-year whose dimension is insufficient gets no
    score; a dimension that is not required drops out of such a country-year, the others renormalised."""

    model_config = _STRICT
    id: str
    label: Label
    weight: float = Field(default=1.0, ge=0)
    required: bool = True
    subdimensions: tuple[SubDimension, ...]


class DomainProfile(BaseModel):
    model_config = _STRICT
    label: Label
    multipliers: dict[str, float] = {}

    @field_validator("multipliers")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, m in v.items() if m < 0]
        if bad:
            raise ValueError(f"multipliers must be >= 0 (see {', '.join(bad)})")
        return v


class Defaults(BaseModel):
    """Default parameters of every step; each can be changed in ``regenerate``."""

    model_config = _STRICT
    max_carry_years: int = Field(default=3, ge=0)
    outliers: Outliers = "config"
    winsor_quantiles: tuple[float, float] = (0.01, 0.99)
    normalisation: Normalisation = "goalposts"
    normalisation_scope: NormalisationScope = "panel"
    weighting: Weighting = "expert"
    aggregation: Aggregation = "arithmetic"
    aggregation_within: Aggregation = "arithmetic"
    min_coverage: float = Field(default=0.6, ge=0, le=1)
    require_all_dimensions: bool = True
    min_dimension_coverage: float = Field(default=0.5, ge=0, le=1)
    min_observed_indicators: int = Field(default=1, ge=0)
    min_indicator_coverage: float = Field(default=0.25, ge=0, le=1)
    band_method: BandMethod = "quantile"
    band_quantiles: tuple[float, float, float, float] = (0.25, 0.5, 0.75, 0.9)
    bands: tuple[float, float, float, float] = (2.5, 3.5, 4.5, 5.5)
    outlook_window: int = Field(default=3, ge=2)
    outlook_dead_band: float = Field(default=0.1, ge=0)
    use_overrides: bool = True

    @field_validator("bands")
    @classmethod
    def _increasing(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if list(v) != sorted(v) or len(set(v)) != len(v) or v[0] <= 0 or v[-1] >= 10:
            raise ValueError("bands are four increasing cut points strictly between 0 and 10")
        return v

    @field_validator("band_quantiles")
    @classmethod
    def _quantiles(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if list(v) != sorted(v) or len(set(v)) != len(v) or v[0] <= 0 or v[-1] >= 1:
            raise ValueError("band_quantiles are four increasing shares strictly between 0 and 1")
        return v


class Framework(BaseModel):
    model_config = _STRICT
    version: int = 1
    name: str = "cultrade country risk index"
    defaults: Defaults = Defaults()
    dimensions: tuple[Dimension, ...]
    domains: dict[str, DomainProfile] = {}

    @model_validator(mode="after")
    def _unique_ids(self) -> Framework:
        seen: set[str] = set()
        for node in self.nodes():
            if node.id in seen:
                raise ValueError(f"id {node.id!r} is used twice; every node id must be unique")
            seen.add(node.id)
        for name, profile in self.domains.items():
            unknown = sorted(set(profile.multipliers) - seen)
            if unknown:
                raise ValueError(f"domain {name!r} names unknown nodes {unknown}; use dimension, "
                                 "sub-dimension or indicator ids")
        return self

    def nodes(self) -> Iterator[Dimension | SubDimension | Indicator]:
        for d in self.dimensions:
            yield d
            for s in d.subdimensions:
                yield s
                yield from s.indicators

    def indicators(self, *, enabled_only: bool = True) -> list[tuple[Dimension, SubDimension, Indicator]]:
        """(dimension, sub-dimension, indicator) for every indicator, in framework order."""
        return [(d, s, i) for d in self.dimensions for s in d.subdimensions for i in s.indicators
                if i.enabled or not enabled_only]

    def indicator(self, ident: str) -> Indicator:
        for _, _, ind in self.indicators(enabled_only=False):
            if ind.id == ident:
                return ind
        raise ConfigError(f"unknown indicator {ident!r}",
                          hint=f"use one of {', '.join(i.id for _, _, i in self.indicators())}")

    def dimension(self, ident: str) -> Dimension:
        for d in self.dimensions:
            if d.id == ident:
                return d
        raise ConfigError(f"unknown dimension {ident!r}", hint=f"use one of {', '.join(d.id for d in self.dimensions)}")

    def node_ids(self) -> list[str]:
        return [n.id for n in self.nodes()]

    def domain_names(self) -> list[str]:
        return list(self.domains)

    def domain(self, name: str) -> DomainProfile:
        if name not in self.domains:
            raise ConfigError(f"unknown domain {name!r}", hint=f"use one of {', '.join(self.domains)}, "
                              "or add a profile under `domains:` in your framework file")
        return self.domains[name]


# -- loading -------------------------------------------------------------------------------
def _read_yaml(path: Path | None) -> dict[str, Any]:
    where = str(path) if path else "cultrade/risk/framework.yaml"
    try:
        if path is None:
            text = resources.files("cultrade.risk").joinpath("framework.yaml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except FileNotFoundError as exc:
        raise ConfigError("framework file not found", path=where, hint="check the path") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({exc})", path=where, hint="fix the YAML syntax") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the framework file must be a mapping at the top level", path=where,
                          hint="start with keys such as `defaults:`, `dimensions:` or `domains:`")
    return data


def merge(base: Any, user: Any) -> Any:
    """Deep merge: mappings by key, lists of ``{id: ...}`` items by id (``remove: true`` deletes).

    >>> merge({"a": [{"id": "x", "w": 1}, {"id": "y", "w": 1}]},
    ...       {"a": [{"id": "x", "w": 2}, {"id": "y", "remove": True}, {"id": "z", "w": 3}]})
    {'a': [{'id': 'x', 'w': 2}, {'id': 'z', 'w': 3}]}
    """
    if isinstance(base, dict) and isinstance(user, dict):
        out = dict(base)
        for key, value in user.items():
            out[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if (isinstance(base, list) and isinstance(user, list)
            and all(isinstance(x, dict) and "id" in x for x in [*base, *user])):
        items = {x["id"]: x for x in base}
        order = [x["id"] for x in base]
        for item in user:
            ident = item["id"]
            if item.get("remove"):
                items.pop(ident, None)
                order = [o for o in order if o != ident]
            elif ident in items:
                items[ident] = merge(items[ident], item)
            else:
                items[ident] = copy.deepcopy(item)
                order.append(ident)
        return [items[o] for o in order]
    return copy.deepcopy(user)


def _key_path(data: Any, loc: tuple[int | str, ...]) -> str:
    """A pydantic location written with node ids instead of list positions."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            node = node[key]
            parts.append(str(node["id"]) if isinstance(node, dict) and "id" in node else f"[{key}]")
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def parse_framework(data: dict[str, Any], *, where: str = "framework") -> Framework:
    """Validate a framework mapping; errors name ``where``, the key path and the fix."""
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = _key_path(data, tuple(first["loc"]))
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"invalid framework at {path or 'top level'}: {first['msg']}{more}", path=where,
                          hint=_hint(first)) from exc


def _hint(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "remove the key or check its spelling against cultrade/risk/framework.yaml"
    if kind == "missing":
        return "add the key; see cultrade/risk/framework.yaml for an example"
    if kind == "literal_error":
        return "use one of the values listed in the message"
    return "correct the value; see docs/risk_methodology.md for each field"


def load_framework(path: str | Path | None = None, *, mode: MergeMode = "merge") -> Framework:
    """The shipped framework, or a user file merged onto it (``mode="merge"``) or replacing it."""
    check("mode", mode)
    base = _read_yaml(None)
    if path is None:
        return parse_framework(base, where="cultrade/risk/framework.yaml")
    user = _read_yaml(Path(path))
    data = merge(base, user) if mode == "merge" else user
    return parse_framework(data, where=str(path))


__all__ = [
    "Carry",
    "Defaults",
    "Derived",
    "Dimension",
    "DomainProfile",
    "Framework",
    "Indicator",
    "Label",
    "Proxy",
    "SubDimension",
    "Transform",
    "load_framework",
    "merge",
    "parse_framework",
]
