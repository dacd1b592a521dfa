"""A virtual PBX and a team of virtual agents playing calls against the real router over gRPC.

`python -m callcenter.tools.simulator` (or `callcenter simulate`) runs it; `Simulation` is the API.
The names below load on first use, so building the command line does not import gRPC.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SimulationConfig": "callcenter.tools.simulator.config",
    "Spread": "callcenter.tools.simulator.config",
    "Simulation": "callcenter.tools.simulator.pbx",
    "SimulationResult": "callcenter.tools.simulator.pbx",
    "CallLog": "callcenter.tools.simulator.side_effects",
    "SideEffect": "callcenter.tools.simulator.side_effects",
    "SimCall": "callcenter.tools.simulator.side_effects",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
