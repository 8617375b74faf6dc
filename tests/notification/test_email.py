"""Email through a real SMTP server (aiosmtpd): STARTTLS and implicit TLS, with login."""

from __future__ import annotations

import re
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from sqlalchemy import select

from services.notification.config import Settings
from services.notification.delivery.models import Delivery, DeliveryAttempt
from services.notification.providers.base import Outcome
from services.notification.providers.email import Email, SmtpSender
from shared.broker import free_port
from shared.contract import ChainRole, EscalationAction
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.mail import Mailbox, authenticator, body
from tests.notification.settings import SECRET


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
        subject="【督办】逾期整改通知：示范建材有限公司隐患",
        text="您好：请签收 http://duban.test/a/x",
        html="<p>您好：<a href='http://duban.test/a/x'>请签收</a></p>",
        message_id="<d1.1@duban.local>",
        date=datetime(2026, 3, 6, 1, 0, tzinfo=UTC),
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


# ---------------------------------------------------------------- what mail servers expect
MSG_ID = re.compile(r"<(?P<left>[^<>@\s]+)@(?P<right>[^<>@\s]+)>")


def check_message_id(msg: EmailMessage, domain: str) -> str:
    header = msg["Message-ID"]
    assert header is not None, "no Message-ID"
    # The standard library's parser records a defect for a malformed msg-id (RFC 5322 §3.6.4).
    assert header.defects == (), header.defects
    match = MSG_ID.fullmatch(str(header))
    assert match is not None, str(header)
    assert match["right"] == domain
    return str(header)


def check_date(msg: EmailMessage, sent_at: datetime) -> None:
    header = msg["Date"]
    assert header is not None, "no Date"
    assert header.defects == (), header.defects
    date = parsedate_to_datetime(str(header))
    assert date == sent_at.replace(microsecond=0), "the service clock's time of the attempt"
    assert date.utcoffset() == timedelta(hours=8), "written in Beijing time"


async def test_a_notice_email_has_date_message_id_code_and_both_parts(make_harness, smtp):
    h = await make_harness(
        default_channels=["email"], digest_window_s=0, smtp_message_id_domain="ajb.county.test"
    )
    await h.org(org_events())
    h.clock.advance(seconds=7.25)  # a time of its own, fractions dropped by the header
    sent_at = h.clock.now()
    await h.step(step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], hazard_n=7))
    await h.settle()

    # The mailbox parsed the bytes the server received with email.message_from_bytes and
    # email.policy.default: the headers below are the standard library's reading of them.
    [msg] = smtp.mailbox.messages
    check_date(msg, sent_at)
    mid = check_message_id(msg, "ajb.county.test")
    assert str(msg["Subject"]) == (
        "【示范县安委办】逾期整改通知：示范建材有限公司一般事故隐患（编号 YH-2026-0007）"
        "已逾期1天（整改期限3月5日）"
    )
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text, html = body(msg, "plain"), body(msg, "html")
    assert "YH-2026-0007" in text and "YH-2026-0007" in html
    # The rectifier is told to fix, by the county office, with its phone; nobody "urges" him.
    for part in (text, html):
        assert "示范县安全生产提醒：示范建材有限公司的一般事故隐患" in part
        assert "请立即完成整改并申请验收。" in part
        assert "请联系示范县安委办，电话 0571-88880000" in part
        assert "督促" not in part and "督办系统" not in part
    assert "http://duban.test/a/" in text and 'href="http://duban.test/a/' in html
    # The id the delivery log records is the one in the header.
    async with h.runtime.sessionmaker() as session:
        [delivery] = (await session.scalars(select(Delivery))).all()
    assert delivery.provider_message_id == mid


async def test_the_sender_domain_names_message_ids_by_default(make_harness, smtp):
    h = await make_harness(
        default_channels=["email"], digest_window_s=0, smtp_sender="督办系统 <duban@ajb.gov.test>"
    )
    await h.org(org_events())
    await h.step(step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL]))
    await h.settle()
    [msg] = smtp.mailbox.messages
    check_message_id(msg, "ajb.gov.test")
    with pytest.raises(ValueError, match="NOTIFICATION_SMTP_MESSAGE_ID_DOMAIN"):
        Settings(env="test", secret_key=SECRET, smtp_message_id_domain="bad domain>")


async def test_a_digest_subject_counts_and_names_the_first_codes(make_harness, smtp):
    h = await make_harness(default_channels=["email"], digest_window_s=600)
    await h.org(org_events())
    for n in range(1, 6):
        later = {"deadline_at": h.clock.now() + timedelta(days=3)} if n > 3 else {}
        action = EscalationAction.REMINDER if n > 3 else EscalationAction.OVERDUE_NOTICE
        await h.step(
            step_fired(
                h.clock,
                roles=[ChainRole.COUNTY_PORTFOLIO_LEADER],
                hazard_n=n,
                action=action,
                **later,
            )
        )
        h.clock.advance(seconds=5)
        await h.settle()
    h.clock.advance(seconds=600)
    sent_at = h.clock.now()
    await h.settle()
    [msg] = smtp.mailbox.to(PEOPLE["p-portfolio"].email or "")
    assert str(msg["Subject"]) == (
        "【示范县安委办】您有5项隐患事项需要办理：已逾期3项、即将到期2项"
        "（编号 YH-2026-0001、YH-2026-0002、YH-2026-0003等）"
    )
    text = body(msg, "plain")
    overdue, _, upcoming = text.partition("即将到期（2项）：")
    assert "已逾期（3项）：" in overdue
    assert all(f"YH-2026-000{n}" in overdue for n in (1, 2, 3))
    assert all(f"YH-2026-000{n}" in upcoming for n in (4, 5))
    assert "已逾期1天（整改期限3月5日），请知悉，并督促有关单位立即完成整改" in overdue
    assert "整改期限为3月9日，请知悉，并督促有关单位于3月9日前完成整改" in upcoming
    check_date(msg, sent_at)
    check_message_id(msg, "localhost")  # smtp_sender's default address duban@localhost
    assert [part.get_content_type() for part in msg.iter_parts()] == ["text/plain", "text/html"]


async def test_a_digest_email_lists_deadlines_far_off_apart_from_those_due_soon(make_harness, smtp):
    h = await make_harness(default_channels=["email"], digest_window_s=600)
    await h.org(org_events())
    month = {"deadline_at": h.clock.now() + timedelta(days=30)}
    await h.step(step_fired(h.clock, roles=[ChainRole.COUNTY_PORTFOLIO_LEADER], hazard_n=1))
    order = EscalationAction.RECTIFICATION_ORDER
    await h.step(
        step_fired(
            h.clock, roles=[ChainRole.COUNTY_PORTFOLIO_LEADER], hazard_n=2, action=order, **month
        )
    )
    await h.settle()
    h.clock.advance(seconds=600)
    await h.settle()
    [msg] = smtp.mailbox.to(PEOPLE["p-portfolio"].email or "")
    assert "已逾期1项、即将到期0项、其他1项" in str(msg["Subject"]), msg["Subject"]
    for part in ("plain", "html"):
        text = body(msg, part)
        assert "即将到期（" not in text, text
        _, _, others = text.partition("其他待办（1项）")
        assert "YH-2026-0002" in others and "YH-2026-0001" not in others, text


class RefusingFirst(Mailbox):
    """Takes every message, but answers the first one with a temporary failure: the sender
    cannot know that it arrived, so it sends it again."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        await super().handle_DATA(server, session, envelope)
        return "451 4.3.0 try again later" if len(self.messages) == 1 else "250 OK"


async def test_a_resent_delivery_keeps_its_message_id_two_deliveries_differ(make_harness):
    mailbox = RefusingFirst()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        h = await make_harness(default_channels=["email"], digest_window_s=0, smtp_port=port)
        await h.org(org_events())
        await h.step(step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL]))
        await h.settle()
        first_at = h.clock.now()
        [first] = mailbox.messages
        await h.runtime.stop()
        # The retry comes from a new process (a runtime restarted on the same database).
        h.clock.advance(seconds=30)
        h2 = await make_harness(default_channels=["email"], digest_window_s=0, smtp_port=port)
        await h2.settle()
        [_, again] = mailbox.messages
        # A second delivery: another person told about the same step.
        await h2.step(step_fired(h2.clock, roles=[ChainRole.ENTERPRISE_SAFETY_MANAGER]))
        await h2.settle()
    finally:
        controller.stop()
    [_, _, other] = mailbox.messages
    assert check_message_id(again, "localhost") == check_message_id(first, "localhost")
    check_date(first, first_at)
    check_date(again, first_at + timedelta(seconds=30))
    assert check_message_id(other, "localhost") != check_message_id(first, "localhost")
    assert str(other["To"]) != str(first["To"]) and str(again["To"]) == str(first["To"])
    async with h2.runtime.sessionmaker() as session:
        log = (await session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))).all()
    assert [a.outcome for a in log] == ["transient", "accepted", "accepted"]
