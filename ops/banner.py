"""What `duban run` prints once the stack is ready: where everything is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ops.processes import Child, LoadedService


def banner(
    children: Sequence[Child],
    skipped: Mapping[str, str],
    *,
    broker: str,
    embedded_broker: bool,
    mail: str,
    sms: str,
    clock_offset: str | None = None,
) -> str:
    lines = ["", "Duban 督办 is running. 服务已启动。", ""]
    for child in children:
        base = child.service.base_url
        lines.append(f"  {child.service.spec.title}")
        if child.service.spec.name == "portal":
            lines.append(f"      pages 页面    {base}/   ← start here (README → 'Portal')")
            lines.append(f"      health        {base}/readyz")
            continue
        lines.append(f"      API docs      {base}/docs")
        lines.append(f"      health        {base}/readyz   metrics {base}/metrics")
        for label, path in child.service.spec.extra_urls.items():
            lines.append(f"      {label}  {base}{path}  (the link is in every text and email)")
    for name, why in skipped.items():
        lines.append(f"  {name}: NOT RUNNING — {why}")
    kind = "embedded tansu, in memory" if embedded_broker else "external"
    lines += [
        "",
        f"  Broker        {broker} ({kind})",
        f"  Texts (SMS)   {sms}",
        f"  Emails        {mail}",
        *([f"  Clock         {clock_offset}"] if clock_offset else []),
        "",
        "  Walkthrough: README.md → 'Portal' (the pages), then 'Walkthrough' (curl calls).",
        "  Ctrl-C stops everything; the data stays in ./var for the next run.",
        "",
    ]
    return "\n".join(lines)


def sms_description(notification: LoadedService | None) -> str:
    if notification is None:
        return "notification service not running"
    kinds = [p.kind for p in getattr(notification.settings, "sms_providers", [])]
    if kinds and all(k == "console" for k in kinds):
        return "printed below by the notification service (lines 'notifi | [SMS] …')"
    return "sent through the configured providers: " + ", ".join(kinds or ["none"])


def clock_offset_description(env: Mapping[str, str]) -> str | None:
    """`make demo` moves every service's clock through one file; say where and by how much."""
    path = env.get("DUBAN_CLOCK_OFFSET_FILE")
    if not path:
        return None
    try:
        seconds = float(Path(path).read_text(encoding="ascii").strip() or 0)
    except (FileNotFoundError, ValueError):
        seconds = 0.0
    return (
        f"movable (demo): offset {seconds:+.0f} s, read from {path} "
        "(write a number of seconds into it to move every service's time)"
    )
