"""The scripted day the trends tests share (tests/test_stats_series.py and the browser test):
calls in known half hours of queue sales, answered within and after the service-level
threshold, abandoned, and one call in support."""

from __future__ import annotations


async def scripted_day(script) -> None:
    """Queue sales on 2026-03-02 (UTC); the service level threshold is 20 s, a short abandon 5 s:
    08:05 c1 rings 5 s (answered within), 60 s talk, 30 s wrap-up
    08:10 c2 waits 25 s, rings 5 s (answered after 30 s), 120 s talk
    08:20 c3 abandoned after 40 s
    08:40 c4 rings 10 s (within), 30 s talk
    08:50 c5 abandoned after 3 s (a short abandon)
    09:35 c6 rings 2 s (within), 10 s talk
    and, in queue support, 08:15 s1 rings 1 s, 20 s talk."""
    await script.at("2026-03-02 07:55").login("anna", ["sales", "support"])
    script.at("2026-03-02 08:05")
    await script.answered_call("c1", "sales", "anna", ring_s=5, talk_s=60, wrap_s=30)
    script.at("2026-03-02 08:10")
    await script.answered_call("c2", "sales", "anna", ring_s=5, talk_s=120, wait_s=25)
    script.at("2026-03-02 08:15")
    await script.answered_call("s1", "support", "anna", ring_s=1, talk_s=20)
    script.at("2026-03-02 08:20")
    await script.receive("c3", "sales")
    await script.queue("c3")
    script.advance(40)
    await script.abandon("c3")
    script.at("2026-03-02 08:40")
    await script.answered_call("c4", "sales", "anna", ring_s=10, talk_s=30)
    script.at("2026-03-02 08:50")
    await script.receive("c5", "sales")
    await script.queue("c5")
    script.advance(3)
    await script.abandon("c5")
    script.at("2026-03-02 09:35")
    await script.answered_call("c6", "sales", "anna", ring_s=2, talk_s=10)
