"""The import pauses the cycle collector while it runs and restores it however it ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from services.hazard_api.directory import transfer
from services.hazard_api.directory.transfer import _cycle_collector_paused


@pytest.fixture(autouse=True)
def collector_enabled() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_paused_during_an_import_and_enabled_after_the_last_of_overlapping_ones() -> None:
    first, second = _cycle_collector_paused(), _cycle_collector_paused()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the other import is still under way
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_enabled_again_when_an_import_fails() -> None:
    with pytest.raises(RuntimeError), _cycle_collector_paused():
        raise RuntimeError("database gone")
    assert gc.isenabled()
    assert transfer._collector_pauses == 0


def test_a_collector_disabled_elsewhere_stays_disabled() -> None:
    gc.disable()
    with _cycle_collector_paused():
        pass
    assert not gc.isenabled()


async def test_import_directory_runs_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []

    async def spy(data: bytes, **_: object) -> object:
        seen.append(gc.isenabled())
        raise RuntimeError("stop")

    monkeypatch.setattr(transfer, "_import", spy)
    with pytest.raises(RuntimeError):
        await transfer.import_directory(b"", session=None, user=None, clock=None)  # type: ignore[arg-type]
    assert seen == [False]
    assert gc.isenabled()
