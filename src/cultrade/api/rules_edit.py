"""Reading and editing alert rules for the API: the shipped rules plus the user file admins write to.

Edits go to the user rules file (``CULTRADE_MONITOR_RULES`` or
``CULTRADE_HOME/rules.yaml``, the one :func:`cultrade.monitor.rules.rules_for_engine`
reads), never to the shipped ``rules.yaml``. The new file is validated as a whole
(merged onto the shipped rules) before it atomically replaces the old one.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "rules.yaml"
>>> rule_dict(current_rules(path).rule("inflation_high"))["for"]
'0s'
>>> set_enabled(path, "inflation_high", False).enabled
False
>>> path.read_text().strip().splitlines()
['rules:', '- name: inflation_high', '  enabled: false']
>>> current_rules(path).rule("inflation_high").enabled
False
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from cultrade.api.errors import NotFoundError
from cultrade.errors import ConfigError
from cultrade.monitor.rules import Duration, Rule, RuleSet, load_rules


def _mode() -> str:
    return os.environ.get("CULTRADE_MONITOR_RULES_MODE", "merge")


def current_rules(path: Path) -> RuleSet:
    """The rules in force: shipped + the user file at ``path`` when it exists."""
    return load_rules(path if path.exists() else None, mode=_mode() if path.exists() else "merge")


def _plain(value: Any) -> Any:
    if isinstance(value, Duration):
        return value.text
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def rule_dict(rule: Rule) -> dict[str, Any]:
    """The rule as it would be written in YAML (durations as ``24h``, unset keys left out)."""
    raw = {name: getattr(rule, name) for name in type(rule).model_fields}
    raw["series"] = rule.series.model_dump()
    raw["condition"] = {k: getattr(rule.condition, k) for k in type(rule.condition).model_fields}
    raw["for"] = raw.pop("for_")
    out: dict[str, Any] = _plain(raw)
    return out


def find_rule(rules: RuleSet, name: str) -> Rule:
    for r in rules.rules:
        if r.name == name:
            return r
    raise NotFoundError(f"no rule named {name!r}", hint="see GET /api/v1/rules")


def _read_user(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ConfigError("the rules file must be a mapping", path=path, hint="fix or remove the file")
    return raw


def _write_validated(path: Path, raw: dict[str, Any]) -> RuleSet:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".rules-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(raw, fh, allow_unicode=True, sort_keys=False)
        rules = load_rules(tmp, mode=_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rules


def _upsert(raw: dict[str, Any], name: str, edit: Callable[[dict[str, Any] | None], dict[str, Any]]
            ) -> dict[str, Any]:
    items = [i for i in (raw.get("rules") or []) if isinstance(i, dict)]
    for i, existing in enumerate(items):
        if existing.get("name") == name:
            items[i] = edit(existing)
            break
    else:
        items.append(edit(None))
    return {**raw, "rules": items}


def set_enabled(path: Path, name: str, enabled: bool) -> Rule:
    """Switch a rule on or off in the user file."""
    find_rule(current_rules(path), name)
    raw = _read_user(path)

    def edit(existing: dict[str, Any] | None) -> dict[str, Any]:
        return {**(existing or {"name": name}), "enabled": enabled}

    return find_rule(_write_validated(path, _upsert(raw, name, edit)), name)


def put_rule(path: Path, name: str, definition: dict[str, Any]) -> Rule:
    """Create or replace rule ``name`` in the user file with ``definition`` (the YAML keys of a rule)."""
    if not isinstance(definition, dict):
        raise ConfigError("a rule definition must be an object", hint="send the keys of a rules.yaml entry")
    if definition.get("name", name) != name:
        raise ConfigError(f"the body names rule {definition.get('name')!r}, the path {name!r}",
                          hint="leave 'name' out of the body or make them equal")
    item = {**definition, "name": name}
    try:
        Rule.model_validate(item)
    except Exception as exc:
        raise ConfigError(f"invalid rule {name!r}: {exc}".splitlines()[0],
                          hint="see the header of cultrade/monitor/rules.yaml for the format") from None
    return find_rule(_write_validated(path, _upsert(_read_user(path), name, lambda _old: item)), name)


__all__ = ["current_rules", "find_rule", "put_rule", "rule_dict", "set_enabled"]
