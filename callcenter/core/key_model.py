"""Redis key models declared once, for Python and Lua alike.

A service lists its kinds of keys as `Key`s (name, pattern after the prefix, type, contents);
`KeySpace` gives Python `keys.events` and `keys.agent("anna")`, and `lua_preamble` gives the
scripts `K_EVENTS` and `k_agent(id)`, so no key name is written twice. Ids are appended as they
are (a SIP Call-ID may hold ':' and braces): a kind of key that ends with an id has a prefix of
its own, so no id can make one kind of key look like another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    """One kind of key: `name` is the Python attribute and Lua function (k_<name>) or constant
    (K_<NAME>); `pattern` follows the prefix, each "{}" an id the key is for."""

    name: str
    pattern: str
    kind: str
    holds: str

    @property
    def arity(self) -> int:
        return self.pattern.count("{}")

    def format(self, prefix: str, *ids: object) -> str:
        if len(ids) != self.arity:
            raise TypeError(f"key {self.name} takes {self.arity} id(s), got {len(ids)}")
        parts = self.pattern.split("{}")
        out = [prefix, parts[0]]
        for value, part in zip(ids, parts[1:], strict=True):
            out += [str(value), part]
        return "".join(out)


class KeySpace:
    """The keys of one prefix: single keys as attributes, the others as functions of their ids."""

    def __init__(self, prefix: str, keys: Iterable[Key]) -> None:
        self.prefix = prefix
        for key in keys:
            if key.arity:
                setattr(self, key.name, _Former(key, prefix))
            else:
                setattr(self, key.name, prefix + key.pattern)

    def __getattr__(self, name: str) -> Any:  # every attribute is set in __init__
        raise AttributeError(f"no key {name!r}")


@dataclass(frozen=True)
class _Former:
    key: Key
    prefix: str

    def __call__(self, *ids: object) -> str:
        return self.key.format(self.prefix, *ids)


def lua_preamble(keys: Iterable[Key], base: str, source: str) -> str:
    """Lua locals for the keys, each built on the Lua expression `base` (e.g. "P")."""
    lines = [f"-- Generated from {source} (the key model): do not edit here."]
    for key in keys:
        parts = key.pattern.split("{}")
        if not key.arity:
            lines.append(f"local K_{key.name.upper()} = {base} .. {_lua_string(key.pattern)}")
            continue
        args = [f"a{i + 1}" for i in range(key.arity)] if key.arity > 1 else ["id"]
        pieces = [base]
        for i, part in enumerate(parts):
            if part:
                pieces.append(_lua_string(part))
            if i < len(args):
                pieces.append(args[i])
        lines.append(f"local function k_{key.name}({', '.join(args)}) return {' .. '.join(pieces)} end")
    return "\n".join(lines) + "\n"


def lua_constants(source: str, **values: object) -> str:
    """Lua locals for constants declared in Python: numbers, strings, tuples (Lua arrays) and
    sets (membership tables, {[x] = true})."""
    lines = [f"-- Constants from {source}: do not edit here."]
    lines += [f"local {name} = {_lua_value(value)}" for name, value in values.items()]
    return "\n".join(lines) + "\n"


def _lua_value(value: object) -> str:
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(f"[{_lua_string(v)}] = true" for v in sorted(map(str, value))) + "}"
    if isinstance(value, (tuple, list)):
        return "{" + ", ".join(_lua_value(v) for v in value) + "}"
    if isinstance(value, str):
        return _lua_string(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"cannot write {value!r} to Lua")


def _lua_string(text: str) -> str:
    if any(c in text for c in "'\\\n"):
        raise ValueError(f"key pattern {text!r} needs no quoting; keep it plain")
    return f"'{text}'"
