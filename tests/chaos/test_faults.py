"""The seeded fault schedule: the whole catalogue covered, the same seed the same schedule."""

from __future__ import annotations

from ops.chaos.faults import catalogue, schedule


def test_a_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    assert schedule(7, 6, 2) == schedule(7, 6, 2)
    assert schedule(7, 6, 2) != schedule(8, 6, 2)


def test_every_kind_on_every_target_comes_before_any_repeats() -> None:
    everything = set(catalogue())
    rounds = -(-len(everything) // 2)
    placed = [(f.kind, f.target) for faults in schedule(3, rounds, 2) for f in faults]
    assert set(placed) == everything
    kinds = {kind for kind, _ in everything}
    assert len(kinds) >= 8
    assert {t for k, t in everything if k == "kill"} == {
        "hazard_api",
        "escalation",
        "notification",
        "broker",
    }
    assert {t for k, t in everything if k == "down"} == {"broker", "postgresql", "smtp", "sms"}


def test_at_most_one_kill_a_round() -> None:
    for seed in range(20):
        for faults in schedule(seed, 10, 3):
            assert sum(f.kind == "kill" for f in faults) <= 1
