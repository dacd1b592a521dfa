"""Typed settings: each one declared once, as a field of a frozen dataclass, with the environment
variable that sets it, its bounds and one line of documentation.

From that one declaration come the parsing and validation (`load`: a clear `ConfigError` naming
the variable), the defaults (the dataclass's own), the documentation tables (`rows`, rendered into
docs/configuration.md and checked by a test) and the deploy drift checks (which variables a
service reads: `env_names`).

    @dataclass(frozen=True)
    class RouterConfig:
        common: CommonConfig = nested(CommonConfig)
        port: int = setting("CALLCENTER_ROUTER_PORT", 50051, "port; 0 picks a free one", minimum=0)

A small module of our own rather than pydantic-settings: the settings are plain frozen dataclasses
the services already pass around, the rules needed are few (bounds, choices, a pattern, optional
paths), and the documentation rows are derived from the same metadata.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib
import re
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

_KEY = "callcenter.setting"


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use."""


@dataclass(frozen=True)
class Setting:
    """How one field is set from the environment, and what the documentation says of it."""

    env: str
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    pattern: str = ""
    #: What the documentation shows as the default when the field's own is not telling
    #: (e.g. "<data dir>/recordings" for an unset path).
    shown_default: str = ""

    def parse(self, raw: str, kind: Any) -> Any:
        """The value of `raw` for a field of type `kind`; ConfigError naming the variable."""
        optional = _optional_of(kind)
        kind = optional or kind
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"{self.env} must be 1/true/yes or 0/false/no, got {raw!r}")
        if kind is int:
            try:
                value: Any = int(raw)
            except ValueError:
                raise ConfigError(f"{self.env} must be a whole number, got {raw!r}") from None
        elif kind is float:
            try:
                value = float(raw)
            except ValueError:
                raise ConfigError(f"{self.env} must be a number, got {raw!r}") from None
            if not math.isfinite(value):
                raise ConfigError(f"{self.env} must be a finite number, got {raw!r}")
        elif kind is pathlib.Path:
            return pathlib.Path(raw)
        elif kind is str:
            value = raw
            if self.choices and value not in self.choices:
                raise ConfigError(f"{self.env} must be one of {', '.join(self.choices)}, got {raw!r}")
            if self.pattern and not re.fullmatch(self.pattern, value):
                raise ConfigError(f"{self.env} must match {self.pattern}, got {raw!r}")
            return value
        else:  # pragma: no cover - a declaration error, caught by the settings tests
            raise TypeError(f"{self.env}: settings of type {kind!r} are not supported")
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(f"{self.env} must be at least {_number(self.minimum)}, got {raw}")
        if self.maximum is not None and value > self.maximum:
            raise ConfigError(f"{self.env} must be at most {_number(self.maximum)}, got {raw}")
        return value


def setting(
    env: str,
    default: Any,
    doc: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[str, ...] = (),
    pattern: str = "",
    shown_default: str = "",
) -> Any:
    """A dataclass field set by the environment variable `env` (unset or empty: `default`)."""
    spec = Setting(env, doc, minimum, maximum, choices, pattern, shown_default)
    return dataclasses.field(default=default, metadata={_KEY: spec})


def nested(cls: type[Any]) -> Any:
    """A dataclass field holding a group of settings (loaded from the same environment)."""
    return dataclasses.field(default_factory=cls)


def load(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
    """An instance of the settings class `cls` from the environment (default: os.environ).

    Unset or empty variables keep the field's default; cross-field rules belong in the class's
    `__post_init__` (raising ConfigError)."""
    env = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        spec = field.metadata.get(_KEY)
        kind = hints[field.name]
        if spec is not None:
            raw = env.get(spec.env, "")
            if raw != "":
                values[field.name] = spec.parse(raw, kind)
        elif dataclasses.is_dataclass(kind) and isinstance(kind, type):
            values[field.name] = load(kind, env)
    return cls(**values)


@dataclass(frozen=True, eq=True)
class Row:
    """One setting as the documentation shows it."""

    env: str
    default: str
    doc: str
    setting: Setting


def rows(cls: type[Any]) -> Iterator[Row]:
    """Every setting of `cls` and its groups, in declaration order."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        spec = field.metadata.get(_KEY)
        kind = hints[field.name]
        if spec is not None:
            yield Row(spec.env, spec.shown_default or _shown(field.default), _with_bounds(spec), spec)
        elif dataclasses.is_dataclass(kind) and isinstance(kind, type):
            yield from rows(kind)


def env_names(cls: type[Any]) -> set[str]:
    """The environment variables `load(cls)` reads."""
    return {row.env for row in rows(cls)}


def _optional_of(kind: Any) -> Any:
    """X for `X | None`, else None."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _shown(default: Any) -> str:
    if default is None or default == "":
        return "*(empty)*"
    if isinstance(default, bool):
        return "1" if default else "0"
    if isinstance(default, float):
        return _number(default)
    return str(default)


def _with_bounds(spec: Setting) -> str:
    extra = []
    if spec.choices:
        extra.append("one of " + ", ".join(f"`{c}`" for c in spec.choices))
    if spec.minimum is not None and spec.maximum is not None:
        extra.append(f"{_number(spec.minimum)}–{_number(spec.maximum)}")
    elif spec.minimum is not None:
        extra.append(f"at least {_number(spec.minimum)}")
    elif spec.maximum is not None:
        extra.append(f"at most {_number(spec.maximum)}")
    if spec.pattern:
        extra.append(f"`{spec.pattern}`")
    return spec.doc + (f" ({'; '.join(extra)})" if extra else "")
