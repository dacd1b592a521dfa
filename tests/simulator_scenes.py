"""The tiny, scaled-down call centre the simulator tests play (speed 100: seconds of the
scenario are hundredths of wall time)."""

from __future__ import annotations

from callcenter.tools.simulator import SimulationConfig
from callcenter.tools.simulator.config import Spread


def tiny_config(router: str, **overrides) -> SimulationConfig:
    fields = dict(
        router=router,
        pbx_contract="v2",
        speed=100.0,  # ring timeout 5 s -> 50 ms, talk ~10 s -> ~100 ms, wrap-up 5 s -> 50 ms
        rate_per_min=300.0,  # 5 calls a simulated second -> about one every 2 ms
        duration_s=None,
        max_calls=12,
        drain_s=3.0,
        summary_every_s=0.1,
        seed=7,
        agents=4,
        never_answer_agents=1,
        answer_delay=Spread(0.5, 0.3),
        talk=Spread(8.0, 0.3),
        after_call_work=Spread(2.0, 0.3),
        patience=Spread(60.0, 0.2),
        wrap_up_s=5.0,
        clients=6,
        returning_fraction=0.5,
    )
    return SimulationConfig(**{**fields, **overrides})
