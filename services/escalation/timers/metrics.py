"""Prometheus metrics of the escalation timers (exported on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

STEP_LATENESS = Histogram(
    "escalation_step_lateness_seconds",
    "How long after its due time a step's firing committed",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 86400),
)
STEPS_FIRED = Counter(
    "escalation_steps_fired_total", "Escalation steps fired", labelnames=("action",)
)
STALE_STEPS = Counter(
    "escalation_stale_steps_total",
    "Claimed steps voided by the fencing token (the case was re-planned meanwhile)",
)
REPAIRED_TIMERS = Counter(
    "escalation_repaired_timers_total",
    "Cases whose stored next fire time disagreed with their timeline when claimed",
)
AUDITOR_ANOMALIES = Counter(
    "escalation_auditor_anomalies_total", "Anomalies the auditor found", labelnames=("kind",)
)
