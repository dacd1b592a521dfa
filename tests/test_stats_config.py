"""The stats settings come from CALLCENTER_* variables, with every default in config.py."""

from __future__ import annotations

import os

import pytest

from callcenter.core.config import ConfigError
from callcenter.services.stats.config import Figures, StatsConfig


def test_defaults_are_the_documented_ones(monkeypatch):
    for name in list(os.environ):
        if name.startswith("CALLCENTER_"):
            monkeypatch.delenv(name)
    config = StatsConfig.from_env()
    assert (config.port, config.consumer_group, config.claim_idle_ms) == (50052, "stats", 30_000)
    assert config.figures == Figures()
    f = config.figures
    assert (f.service_level_threshold_s, f.service_level_target_percent, f.successful_touch_s) == (20, 80.0, 30)
    assert (f.cadence_attempts, f.cadence_days, f.min_contacts_before_refusal) == (3, 5, 15)


def test_thresholds_and_weights_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CALLCENTER_STATS_PORT", "6000")
    monkeypatch.setenv("CALLCENTER_STATS_SERVICE_LEVEL_S", "30")
    monkeypatch.setenv("CALLCENTER_STATS_SCORE_MISSED_PENALTY", "2.5")
    monkeypatch.setenv("CALLCENTER_STATS_CADENCE_DAYS", "7")
    monkeypatch.setenv("CALLCENTER_STATS_MIN_CONTACTS_BEFORE_REFUSAL", "10")
    config = StatsConfig.from_env()
    assert config.port == 6000
    f = config.figures
    assert (f.service_level_threshold_s, f.score_missed_penalty, f.cadence_days) == (30, 2.5, 7)
    assert f.min_contacts_before_refusal == 10


def test_a_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("CALLCENTER_STATS_CLAIM_IDLE_MS", "soon")
    with pytest.raises(ConfigError, match="CALLCENTER_STATS_CLAIM_IDLE_MS"):
        StatsConfig.from_env()
