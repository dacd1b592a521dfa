"""A virtual PBX and a team of virtual agents playing calls against the real router over gRPC.

`python -m services.simulator` (or `callcenter simulate`) runs it; `Simulation` is the API.
The names below load on first use, so building the command line does not import gRPC.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SimulationConfig": "services.simulator.config",
    "Spread": "services.simulator.config",
    "Simulation": "services.simulator.pbx",
    "SimulationResult": "services.simulator.pbx",
    "CallLog": "services.simulator.side_effects",
    "SideEffect": "services.simulator.side_effects",
    "SimCall": "services.simulator.side_effects",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
