"""Email through a real SMTP server (aiosmtpd): STARTTLS and implicit TLS, with login."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller

from services.notification.config import Settings
from services.notification.providers.base import Outcome
from services.notification.providers.email import Email, SmtpSender
from shared.broker import free_port
from tests.notification.conftest import SECRET, Mailbox, authenticator, body


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    return ctx


def sample() -> Email:
    return Email(
        to="leader@gov.test",
        subject="【督办】隐患整改逾期：示范建材有限公司隐患",
        text="您好：请签收 http://duban.test/a/x",
        html="<p>您好：<a href='http://duban.test/a/x'>请签收</a></p>",
        message_id="<d1.1@duban.local>",
    )


# aiosmtpd warns about AUTH without STARTTLS; with implicit TLS that is what we want.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_login_over_tls_sends_html_and_plain(
    security: str, ca: trustme.CA, tmp_path: Path
) -> None:
    mailbox = Mailbox()
    port = free_port()
    tls = server_context(ca)
    kwargs = (
        {"tls_context": tls, "require_starttls": True}
        if security == "starttls"
        # aiosmtpd only counts STARTTLS as TLS for AUTH; this connection is TLS from the start.
        else {"ssl_context": tls, "auth_require_tls": False}
    )
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator(mailbox),
        auth_required=True,
        **kwargs,  # type: ignore[arg-type]
    )
    controller.start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    try:
        settings = Settings(
            env="test",
            secret_key=SECRET,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security=security,
            smtp_username="duban",
            smtp_password="pw",
            smtp_ca_file=str(ca_file),
        )
        result = await SmtpSender(settings).send(sample())
        assert result.outcome == Outcome.ACCEPTED, result
        bad = settings.model_copy(update={"smtp_password": "wrong"})
        refused = await SmtpSender(bad).send(sample())
        assert refused.outcome == Outcome.PERMANENT
    finally:
        controller.stop()
    assert mailbox.logins == ["duban"]
    [msg] = mailbox.messages
    assert msg["Message-ID"] == "<d1.1@duban.local>"
    assert "请签收" in body(msg, "plain")
    assert "<a href=" in body(msg, "html")


async def test_untrusted_certificate_is_refused(ca: trustme.CA) -> None:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, ssl_context=server_context(ca)
    )
    controller.start()
    try:
        settings = Settings(
            env="test", secret_key=SECRET, smtp_port=port, smtp_security="ssl", smtp_timeout_s=3
        )
        result = await SmtpSender(settings).send(sample())
    finally:
        controller.stop()
    assert result.outcome != Outcome.ACCEPTED
    assert mailbox.messages == []


async def test_one_tls_context_serves_every_email_of_a_sender(
    ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(ca),
        require_starttls=True,
    )
    controller.start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    built: list[str | None] = []
    create = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(kwargs.get("cafile"))
        return create(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    settings = Settings(
        env="test",
        secret_key=SECRET,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="starttls",
        smtp_ca_file=str(ca_file),
    )
    sender = SmtpSender(settings)
    try:
        for _ in range(3):
            assert (await sender.send(sample())).outcome == Outcome.ACCEPTED
    finally:
        controller.stop()
    assert len(mailbox.messages) == 3
    assert built == [str(ca_file)]
    plain = SmtpSender(settings.model_copy(update={"smtp_security": "none"}))
    assert plain.tls_context() is None
    assert built == [str(ca_file)]
