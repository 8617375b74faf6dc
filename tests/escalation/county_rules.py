"""County practice's escalation rules (#11) as stories: each a hazard's facts over time and the
steps, recipients and times the rule promises. Played through /simulate and the real chain by
test_county_rules.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.clock import local
from shared.contract import HazardLevel, HazardStatus, StepFired
from tests.escalation.conftest import end_of_day, make_facts, sh
from tests.escalation.stories import E, Story, classify, listed, reported

Row = tuple[str, str, int, str, tuple[str, ...]]

ENTERPRISE = ("enterprise.principal", "enterprise.safety_manager")
GENERAL_ORDER = (*ENTERPRISE, "township.in_charge", "department.in_charge")
MAJOR_ORDER = (*ENTERPRISE, "township.principal", "township.party_secretary", "department.head")
GENERAL_REMIND = (*ENTERPRISE, "township.in_charge")
GENERAL_OVERDUE = (*ENTERPRISE, "township.in_charge", "department.in_charge")
MAJOR_OVERDUE = (
    "enterprise.principal",
    "township.principal",
    "township.party_secretary",
    "department.head",
    "county.portfolio_leader",
)
LISTING = (
    *ENTERPRISE,
    "township.principal",
    "township.party_secretary",
    "department.head",
    "county.portfolio_leader",
)
OFFICE = ("county_office",)
STILL_OVERDUE = (
    "enterprise.principal",
    "township.principal",
    "township.party_secretary",
    "department.head",
    "county_office",
)


def rows(steps: Iterable[Any], hazard_id: str) -> list[Row]:
    """(local due time, step, repeat, action, targets) of one hazard's fired steps."""
    out = []
    for s in steps:
        if s.hazard_id != hazard_id:
            continue
        targets = s.target_roles if isinstance(s, StepFired) else s.targets
        out.append(
            (
                local(s.due_at).strftime("%m-%d %H:%M"),
                s.step_key,
                s.repeat_index,
                s.action.value,
                tuple(t.value for t in targets),
            )
        )
    return out


def classified(at: datetime, level: HazardLevel, deadline: datetime, **overrides: Any) -> Story:
    """A hazard whose first event is its classification (found and judged at once)."""
    facts = make_facts(status=HazardStatus.REPORTED, level=None, **overrides)
    return classify(Story(facts.hazard_id, facts), at, level, deadline)


@dataclass
class Rule:
    stories: list[Story]
    until: datetime
    expected: dict[str, list[Row]]  # hazard id -> its fired steps, in order


# ---------------------------------------------------------------- the rules as stories
def opens_at_report() -> Rule:
    """A case opens at report: the unclassified hazard is chased to classify within 3 working
    days, every 2 working days after, to the supervising body (the county office when there
    is none); classification ends the chase."""
    supervised = reported(sh(2026, 3, 2, 10, 0))
    unsupervised = reported(sh(2026, 3, 2, 10, 0), township_id=None, department_ids=[])
    classify(unsupervised, sh(2026, 3, 10, 10, 0), HazardLevel.GENERAL, end_of_day(2026, 3, 27))
    supervisors = ("department.in_charge", "township.in_charge")
    return Rule(
        [supervised, unsupervised],
        sh(2026, 3, 12, 12, 0),
        {
            supervised.hazard_id: [
                ("03-05 09:00", "classify_due", 0, "classification_reminder", supervisors),
                ("03-09 09:00", "classify_due", 1, "classification_reminder", supervisors),
                ("03-11 09:00", "classify_due", 2, "classification_reminder", supervisors),
            ],
            unsupervised.hazard_id: [
                ("03-05 09:00", "classify_due", 0, "classification_reminder", OFFICE),
                ("03-09 09:00", "classify_due", 1, "classification_reminder", OFFICE),
                ("03-10 10:00", "order", 0, "rectification_order", GENERAL_ORDER),
            ],
        },
    )


def order_is_notified() -> Rule:
    """The rectification order is notified when given: the rectifier and the 属地 and 行业
    supervisors; an order given at night waits for the next working hours."""
    major = classified(sh(2026, 3, 3, 10, 0), HazardLevel.MAJOR, end_of_day(2026, 3, 27))
    night = classified(sh(2026, 3, 3, 22, 30), HazardLevel.GENERAL, end_of_day(2026, 3, 27))
    return Rule(
        [major, night],
        sh(2026, 3, 5, 12, 0),
        {
            major.hazard_id: [("03-03 10:00", "order", 0, "rectification_order", MAJOR_ORDER)],
            night.hazard_id: [("03-04 08:30", "order", 0, "rectification_order", GENERAL_ORDER)],
        },
    )


def listing_is_an_anchor() -> Rule:
    """Listing re-selects the listed-hazard policy: the listing notice goes to the enterprise,
    its chain and the county leader; publication is chased from the 3rd working day until
    published; after acceptance, delisting is chased until the close."""
    story = classified(sh(2026, 3, 2, 10, 0), HazardLevel.MAJOR, end_of_day(2026, 5, 29))
    listed(story, sh(2026, 3, 4, 10, 0))
    story.then(
        sh(2026, 3, 10, 11, 0), E.LISTING_PUBLISHED, listing_published_at=sh(2026, 3, 10, 11, 0)
    )
    story.then(
        sh(2026, 3, 20, 16, 0),
        E.ACCEPTED,
        status=HazardStatus.ACCEPTED,
        accepted_at=sh(2026, 3, 20, 16, 0),
    )
    story.then(sh(2026, 3, 26, 15, 0), E.CLOSED, status=HazardStatus.CLOSED)
    return Rule(
        [story],
        sh(2026, 3, 31, 12, 0),
        {
            story.hazard_id: [
                ("03-02 10:00", "order", 0, "rectification_order", MAJOR_ORDER),
                ("03-04 10:00", "listing_notice", 0, "listing_notice", LISTING),
                # 3 working days after listing, then daily until published (10 Mar 11:00)
                ("03-09 09:00", "publication_due", 0, "publication_reminder", OFFICE),
                ("03-10 09:00", "publication_due", 1, "publication_reminder", OFFICE),
                # accepted Fri 20 Mar: 3 working days on, then daily until closed (26 Mar 15:00)
                ("03-25 09:00", "delisting_due", 0, "delisting_reminder", OFFICE),
                ("03-26 09:00", "delisting_due", 1, "delisting_reminder", OFFICE),
            ]
        },
    )


def extension_decision_is_chased() -> Rule:
    """An extension request starts the clock for its decision (10 working days), chased from
    the 7th working day on the deciding body; the decision stops it."""
    refused = classified(sh(2026, 3, 2, 10, 0), HazardLevel.GENERAL, end_of_day(2026, 3, 27))
    refused.then(
        sh(2026, 3, 9, 10, 0), E.EXTENSION_REQUESTED, extension_requested_at=sh(2026, 3, 9, 10, 0)
    )
    refused.then(sh(2026, 3, 19, 14, 0), E.EXTENSION_REJECTED, extension_requested_at=None)
    approved = classified(sh(2026, 3, 2, 10, 0), HazardLevel.GENERAL, end_of_day(2026, 3, 27))
    approved.then(
        sh(2026, 3, 9, 10, 0), E.EXTENSION_REQUESTED, extension_requested_at=sh(2026, 3, 9, 10, 0)
    )
    approved.then(
        sh(2026, 3, 17, 10, 0),
        E.EXTENSION_APPROVED,
        extension_requested_at=None,
        deadline_at=end_of_day(2026, 4, 30),
    )
    deciders = ("department.head", "department.in_charge")
    order = ("03-02 10:00", "order", 0, "rectification_order", GENERAL_ORDER)
    return Rule(
        [refused, approved],
        sh(2026, 3, 23, 8, 0),
        {
            refused.hazard_id: [
                order,
                (
                    "03-18 09:00",
                    "extension_decision_due",
                    0,
                    "extension_decision_reminder",
                    deciders,
                ),
                (
                    "03-19 09:00",
                    "extension_decision_due",
                    1,
                    "extension_decision_reminder",
                    deciders,
                ),
            ],
            approved.hazard_id: [order],
        },
    )


def acceptance_is_chased_from_day_7() -> Rule:
    """The acceptance chase starts on day 7 after the rectification report (before the 10-day
    window ends) and goes to the verifier: the supervising department, or the county office
    for a county-listed hazard; acceptance stops it."""
    general = classified(sh(2026, 3, 2, 10, 0), HazardLevel.GENERAL, end_of_day(2026, 3, 27))
    county_listed = classified(sh(2026, 3, 2, 10, 0), HazardLevel.MAJOR, end_of_day(2026, 5, 29))
    listed(county_listed, sh(2026, 3, 2, 11, 0), published=True)
    for story in (general, county_listed):
        story.then(
            sh(2026, 3, 11, 10, 0),
            E.RECTIFICATION_REPORTED,
            status=HazardStatus.RECTIFICATION_REPORTED,
            rectification_reported_at=sh(2026, 3, 11, 10, 0),
        )
        story.then(
            sh(2026, 3, 20, 15, 0),
            E.ACCEPTED,
            status=HazardStatus.ACCEPTED,
            accepted_at=sh(2026, 3, 20, 15, 0),
        )
    department = ("department.in_charge", "department.head")
    return Rule(
        [general, county_listed],
        sh(2026, 3, 24, 8, 0),
        {
            general.hazard_id: [
                ("03-02 10:00", "order", 0, "rectification_order", GENERAL_ORDER),
                ("03-18 09:00", "acceptance_due", 0, "acceptance_reminder", department),
                ("03-19 09:00", "acceptance_due", 1, "acceptance_reminder", department),
                ("03-20 09:00", "acceptance_due", 2, "acceptance_reminder", department),
            ],
            county_listed.hazard_id: [
                ("03-02 10:00", "order", 0, "rectification_order", MAJOR_ORDER),
                ("03-02 11:00", "listing_notice", 0, "listing_notice", LISTING),
                ("03-18 09:00", "acceptance_due", 0, "acceptance_reminder", OFFICE),
                ("03-19 09:00", "acceptance_due", 1, "acceptance_reminder", OFFICE),
                ("03-20 09:00", "acceptance_due", 2, "acceptance_reminder", OFFICE),
            ],
        },
    )


def overdue_waits_for_the_next_working_morning() -> Rule:
    """The overdue notice goes at 08:30 of the next working day, not at 23:59 of the
    deadline; urgent (major) notices too."""
    general = classified(sh(2026, 3, 2, 10, 0), HazardLevel.GENERAL, end_of_day(2026, 3, 6))
    major = classified(sh(2026, 3, 2, 10, 0), HazardLevel.MAJOR, end_of_day(2026, 3, 6))
    return Rule(
        [general, major],
        sh(2026, 3, 9, 8, 45),
        {
            general.hazard_id: [
                ("03-02 10:00", "order", 0, "rectification_order", GENERAL_ORDER),
                ("03-03 09:00", "remind_3wd", 0, "reminder", GENERAL_REMIND),
                ("03-05 09:00", "remind_1wd", 0, "reminder", GENERAL_REMIND),
                ("03-09 08:30", "overdue_notice", 0, "overdue_notice", GENERAL_OVERDUE),
            ],
            major.hazard_id: [
                ("03-02 10:00", "order", 0, "rectification_order", MAJOR_ORDER),
                (
                    "03-04 09:00",
                    "remind_2wd",
                    0,
                    "reminder",
                    (
                        "enterprise.principal",
                        "township.principal",
                        "township.party_secretary",
                        "department.head",
                    ),
                ),
                ("03-09 08:30", "overdue_notice", 0, "overdue_notice", MAJOR_OVERDUE),
            ],
        },
    )


def ladder_never_goes_silent() -> Rule:
    """After the last rung, the overdue notice repeats every 5 working days, numbered, until
    the hazard is closed."""
    story = classified(sh(2026, 3, 2, 10, 0), HazardLevel.GENERAL, end_of_day(2026, 3, 6))
    story.then(sh(2026, 4, 28, 10, 0), E.CLOSED, status=HazardStatus.CLOSED)
    overdue = [
        ("03-02 10:00", "order", 0, "rectification_order", GENERAL_ORDER),
        ("03-03 09:00", "remind_3wd", 0, "reminder", GENERAL_REMIND),
        ("03-05 09:00", "remind_1wd", 0, "reminder", GENERAL_REMIND),
        ("03-09 08:30", "overdue_notice", 0, "overdue_notice", GENERAL_OVERDUE),
        (
            "03-11 09:00",
            "overdue_3wd",
            0,
            "overdue_notice",
            ("township.principal", "township.party_secretary", "department.head"),
        ),
        ("03-17 09:00", "letter_due", 0, "task", OFFICE),
        ("03-17 09:00", "leader_informed", 0, "overdue_notice", ("county.portfolio_leader",)),
        ("03-27 09:00", "interview_due", 0, "task", OFFICE),
        # 20 working days after Fri 6 Mar: Fri 3 Apr; then every 5 working days over 清明
        ("04-03 09:00", "still_overdue", 0, "overdue_notice", STILL_OVERDUE),
        ("04-13 09:00", "still_overdue", 1, "overdue_notice", STILL_OVERDUE),
        ("04-20 09:00", "still_overdue", 2, "overdue_notice", STILL_OVERDUE),
        ("04-27 09:00", "still_overdue", 3, "overdue_notice", STILL_OVERDUE),
        # closed Tue 28 Apr: silence only now
    ]
    return Rule([story], sh(2026, 5, 29, 12, 0), {story.hazard_id: overdue})


def reselection_switches_policy() -> Rule:
    """Reclassification re-selects the policy and re-baselines the case (the major order goes
    out under the major policy); voiding stops the case."""
    story = classified(sh(2026, 3, 2, 10, 0), HazardLevel.GENERAL, end_of_day(2026, 3, 27))
    story.then(
        sh(2026, 3, 4, 10, 0),
        E.RECLASSIFIED,
        level=HazardLevel.MAJOR,
        grade=3,
        deadline_at=end_of_day(2026, 3, 20),
    )
    story.then(sh(2026, 3, 6, 10, 0), E.VOIDED, status=HazardStatus.VOIDED)
    return Rule(
        [story],
        sh(2026, 4, 30, 12, 0),
        {
            story.hazard_id: [
                ("03-02 10:00", "order", 0, "rectification_order", GENERAL_ORDER),
                ("03-04 10:00", "order", 0, "rectification_order", MAJOR_ORDER),
            ]
        },
    )


RULES: dict[str, Callable[[], Rule]] = {
    "opens_at_report": opens_at_report,
    "order_is_notified": order_is_notified,
    "listing_is_an_anchor": listing_is_an_anchor,
    "extension_decision_is_chased": extension_decision_is_chased,
    "acceptance_is_chased_from_day_7": acceptance_is_chased_from_day_7,
    "overdue_waits_for_the_next_working_morning": overdue_waits_for_the_next_working_morning,
    "ladder_never_goes_silent": ladder_never_goes_silent,
    "reselection_switches_policy": reselection_switches_policy,
}
