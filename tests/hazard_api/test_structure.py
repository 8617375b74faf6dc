"""Repository-wide checks on hazard_api's shape: views never commit (the transition kernel or
the unit of work does), and no domain imports another domain's `flows`."""

from __future__ import annotations

import ast
from pathlib import Path

import services.hazard_api as package

ROOT = Path(package.__file__).parent
PREFIX = "services.hazard_api."


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


def _domain(path: Path) -> str | None:
    """The domain folder a module belongs to (None: a module at the package's top)."""
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else None


def commits_in(source: str) -> list[int]:
    """Lines that call `<anything>.commit()`."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def flows_imported(source: str) -> set[str]:
    """The domains whose `flows` module `source` imports (either import form)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            parts = name.removeprefix(PREFIX).split(".")
            if name.startswith(PREFIX) and len(parts) >= 2 and parts[1] == "flows":
                found.add(parts[0])
    return found


def test_no_view_commits_a_session_itself() -> None:
    offenders = {
        str(p.relative_to(ROOT)): lines
        for p in _modules()
        if p.name == "views.py" and (lines := commits_in(p.read_text()))
    }
    assert offenders == {}


def test_no_domain_imports_another_domains_flows() -> None:
    # The service's wiring at the package top (main, lifecycle) starts consumers: not a domain.
    offenders = {
        str(p.relative_to(ROOT)): sorted(others)
        for p in _modules()
        if _domain(p) is not None and (others := flows_imported(p.read_text()) - {_domain(p)})
    }
    assert offenders == {}


def test_the_checks_see_what_they_look_for() -> None:
    # What today's code did before the kernel: both checks must catch it.
    view = "async def v(session):\n    await flows.classify()\n    await session.commit()\n"
    assert commits_in(view) == [3]
    assert flows_imported("from services.hazard_api.hazards.flows import record") == {"hazards"}
    assert flows_imported("from services.hazard_api.hazards import flows") == {"hazards"}
    assert flows_imported("import services.hazard_api.listing.flows") == {"listing"}
    assert flows_imported("from services.hazard_api.hazards.service import facts") == set()
