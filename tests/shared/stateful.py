"""Stateful schemathesis over a service's OpenAPI links, with every check, deterministically.

`run_stateful` builds schemathesis's state machine from the app's own OpenAPI (links included),
calls the app in process (ASGI) with the headers a test chooses per request, validates each
answer with all of schemathesis's checks (status codes and bodies as documented, content types,
headers, auth not ignored, valid data accepted, invalid refused, created resources readable …)
and fails the test on the first failure. It returns what was called, for the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.python import asgi

Headers = dict[str, str]


@dataclass
class Tally:
    """What the run did: calls per operation and status, and how many followed a link."""

    calls: int = 0
    linked: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)

    def summary(self, service: str) -> str:
        by_status = " ".join(f"{s}={n}" for s, n in sorted(self.statuses.items()))
        return (
            f"RESULT service={service} calls={self.calls} linked={self.linked} "
            f"operations={len({o.rsplit(' ', 1)[0] for o in self.operations})} "
            f"failures={len(self.failures)} {by_status}"
        )


def run_stateful(
    app: Any,
    *,
    headers_for: Callable[[Any], Headers],
    prepare: Callable[[Any, Any], None] | None = None,
    reset: Callable[[], None] | None = None,
    paths: str | None = None,
    max_examples: int = 60,
    steps: int = 12,
) -> Tally:
    """Run the app's state machine; `prepare(case, client)` may pin values the schema cannot
    know (a unit that exists), `headers_for(case)` chooses who calls, `reset()` puts back
    before each scenario what a scenario uses up (Hypothesis replays scenarios and needs each
    to start from the same state)."""
    schema: Any = schemathesis.openapi.from_asgi("/openapi.json", app)
    if paths is not None:
        schema = schema.include(path_regex=paths)
    tally = Tally()
    base = schema.as_state_machine()
    with asgi.get_client(app) as client:

        class Workflow(base):  # type: ignore[valid-type, misc]
            def setup(self) -> None:
                if reset is not None:
                    reset()

            def before_call(self, case: Any) -> None:
                if prepare is not None:
                    prepare(case, client)

            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return {"session": client, "headers": headers_for(case)}

            def after_call(self, response: Any, case: Any) -> None:
                super().after_call(response, case)
                tally.calls += 1
                tally.statuses[str(response.status_code)] += 1
                key = f"{case.method} {case.path} {response.status_code}"
                tally.operations[key] += 1
                tally.samples.setdefault(key, f"{case.body!r:.300} → {response.content[:300]!r}")

            def step(self, input: Any) -> Any:
                if input.is_applied and input.transition is not None:
                    tally.linked += 1
                return super().step(input)

            def validate_response(self, response: Any, case: Any, *args: Any, **kw: Any) -> None:
                # Like the schemathesis CLI: note every distinct failure and carry on, so one
                # run shows them all (the test fails at the end if there is any).
                try:
                    super().validate_response(response, case, *args, **kw)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        key = f"{case.method} {case.path}: {failure.title}"
                        if key not in tally.failures:
                            tally.failures[key] = (
                                f"{key} [{response.status_code}]\n{failure.message}\n"
                                f"{response.text[:400]}\n{case.as_curl_command()[:600]}"
                            )

        run_state_machine_as_test(
            cast(Any, Workflow),
            settings=hypothesis_settings(
                max_examples=max_examples,
                stateful_step_count=steps,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            ),
        )
    return tally


def is_positive(case: Any) -> bool:
    """The case was generated to be valid (not a negative, schema-violating one)."""
    meta = case.meta
    return meta is None or bool(meta.generation.mode.is_positive)
