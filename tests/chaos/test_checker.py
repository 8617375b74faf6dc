"""The checker counts what was lost, duplicated and reordered, from records fed to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ops.chaos.checker import (
    CaseChange,
    Delivery,
    Notice,
    Received,
    Records,
    StepFired,
    check,
    email_key,
    sms_key,
)

T0 = datetime(2026, 3, 9, 1, 30, tzinfo=UTC)


def _world() -> Records:
    """One hazard, two steps, each told to one person by SMS and email; all arrived once."""
    steps = [
        StepFired("ev-1", "h-1", "remind_5wd", 0, T0, step_index=1),
        StepFired("ev-2", "h-1", "overdue_notice", 0, T0 + timedelta(days=3), step_index=2),
    ]
    return Records(
        hazards=["h-1"],
        cases={"h-1"},
        steps=steps,
        requests={"ev-1", "ev-2"},
        notices=[
            Notice("ev-1", "p-1", "d-1", "bundled"),
            Notice("ev-2", "p-1", "d-2", "bundled"),
        ],
        deliveries=[
            Delivery(1, "d-1", "p-1", "sms", ("out-1",)),
            Delivery(2, "d-1", "p-1", "email"),
            Delivery(3, "d-2", "p-1", "sms", ("out-3",)),
            Delivery(4, "d-2", "p-1", "email"),
        ],
        received=[
            Received("sms", "out-1", T0 + timedelta(minutes=10)),
            Received("email", email_key("<d-1.2@county.example>"), T0 + timedelta(minutes=10)),
            Received("sms", "out-3", T0 + timedelta(days=3, minutes=10)),
            Received("email", "d-2.4", T0 + timedelta(days=3, minutes=10)),
        ],
    )


def test_a_clean_run_counts_nothing() -> None:
    verdict = check(_world())
    assert (verdict.lost, verdict.duplicates, verdict.reordered) == (0, 0, 0), verdict.problems
    assert verdict.clean


def test_a_listed_hazard_without_any_step_fired_is_lost() -> None:
    records = _world()
    records.listed = {"h-1", "h-2"}
    records.hazards.append("h-2")
    records.cases.add("h-2")
    verdict = check(records)
    assert verdict.lost == 1 and "h-2" in verdict.problems[0]


def test_a_step_due_that_never_fired_is_lost() -> None:
    records = _world()
    records.overdue["h-1"] = T0 + timedelta(days=5)
    verdict = check(records)
    assert verdict.lost == 1 and "never fired" in verdict.problems[0]


def test_texts_of_a_batch_are_told_apart_by_number() -> None:
    """SendBatchSms: one OutId for the batch; notification's attempts are `<batch>.<i>`."""
    records = _world()
    records.deliveries[0] = Delivery(1, "d-1", "p-1", "sms", (sms_key("b.0", "13800000001"),))
    records.received[0] = Received("sms", sms_key("b", "13800000001"), T0)
    assert check(records).clean
    records.received[0] = Received("sms", sms_key("b", "13800000002"), T0)  # another number
    assert check(records).lost == 1


def test_a_hazard_without_its_case_is_lost() -> None:
    records = _world()
    records.hazards.append("h-2")
    verdict = check(records)
    assert verdict.lost == 1 and "h-2" in verdict.problems[0]


def test_a_step_notification_never_heard_of_is_lost() -> None:
    records = _world()
    records.requests.discard("ev-2")
    assert check(records).lost == 1


def test_a_delivery_missing_from_the_provider_record_is_lost() -> None:
    records = _world()
    records.received = [m for m in records.received if m.key != "out-3"]
    verdict = check(records)
    assert verdict.lost == 1 and not verdict.duplicates and not verdict.reordered


def test_a_notice_never_bundled_is_lost_unless_superseded() -> None:
    records = _world()
    records.notices.append(Notice("ev-2", "p-2", None, "waiting"))
    records.notices.append(Notice("ev-2", "p-3", None, "superseded"))
    assert check(records).lost == 1


def test_two_texts_for_one_step_and_person_are_a_duplicate() -> None:
    records = _world()
    # A retry with a new OutId after a lost answer: the provider accepted both.
    records.deliveries[0] = Delivery(1, "d-1", "p-1", "sms", ("out-1", "out-1b"))
    records.received.append(Received("sms", "out-1b", T0 + timedelta(minutes=11)))
    verdict = check(records)
    assert verdict.duplicates == 1 and not verdict.lost


def test_a_step_fired_twice_and_told_twice_is_a_duplicate() -> None:
    records = _world()
    records.steps.append(StepFired("ev-1b", "h-1", "remind_5wd", 0, T0, step_index=1))
    records.requests.add("ev-1b")
    records.notices.append(Notice("ev-1b", "p-1", "d-9", "bundled"))
    records.deliveries.append(Delivery(9, "d-9", "p-1", "sms", ("out-9",)))
    records.received.append(Received("sms", "out-9", T0 + timedelta(minutes=12)))
    assert check(records).duplicates == 1


def test_an_email_resent_with_the_same_message_id_counts_once() -> None:
    records = _world()
    records.received.append(Received("email", "d-1.2", T0 + timedelta(minutes=20)))
    assert check(records).clean


def test_a_later_step_arriving_first_is_reordered() -> None:
    records = _world()
    late = T0 + timedelta(days=4)  # the reminder's text arrives after the overdue notice's
    records.received[0] = Received("sms", "out-1", late)
    verdict = check(records)
    assert verdict.reordered == 1 and not verdict.lost and not verdict.duplicates
    assert "reordered" in verdict.problems[0]


def test_a_text_the_caps_redirected_counts_when_its_email_arrived() -> None:
    records = _world()
    records.deliveries[2] = Delivery(3, "d-2", "p-1", "sms", ("out-3",), redirected=True)
    records.received = [m for m in records.received if m.key != "out-3"]
    assert check(records).clean
    # The same text, not redirected, is lost; redirected with its email lost too, both are.
    records.deliveries[2] = Delivery(3, "d-2", "p-1", "sms", ("out-3",))
    assert check(records).lost == 1
    records.deliveries[2] = Delivery(3, "d-2", "p-1", "sms", ("out-3",), redirected=True)
    records.received = [m for m in records.received if m.key != "d-2.4"]
    assert check(records).lost == 2


def _withdrawn() -> Records:
    """The second step's notice withdrawn by notification: never sent, nothing delivered."""
    records = _world()
    records.notices[1] = Notice("ev-2", "p-1", None, "withdrawn")
    records.deliveries = records.deliveries[:2]
    records.received = records.received[:2]
    return records


def test_a_withdrawn_notice_is_lost_unless_its_case_later_overtook_it() -> None:
    records = _withdrawn()
    assert check(records).lost == 1  # nothing warranted it
    later = T0 + timedelta(days=3, minutes=5)
    records.changes = [CaseChange("h-1", "active", "rebaselined", later)]
    assert check(records).lost == 1  # a moved deadline updates a notice, never withdraws it
    records.changes = [CaseChange("h-1", "stopped", "stopped: closed", T0 + timedelta(days=1))]
    assert check(records).lost == 1  # closed before the step fired: not what withdrew it
    records.changes = [CaseChange("h-1", "stopped", "stopped: closed", later)]
    assert check(records).clean
    records.changes = [CaseChange("h-1", "paused", "paused", later)]
    assert check(records).lost == 1  # the step does not stop on rectification
    records.steps[1] = StepFired(
        "ev-2", "h-1", "overdue_notice", 0, T0 + timedelta(days=3), 2, stop_condition="rectified"
    )
    assert check(records).clean
