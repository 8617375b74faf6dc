"""The responsibility chain resolver: departments, vacancies, 党政同责, acting and handover."""

from __future__ import annotations

from datetime import UTC, date, datetime

from shared.contract import (
    ChainRole,
    Envelope,
    PostRole,
    PostUpserted,
    UnitKind,
    UnitUpserted,
)
from shared.responsibility import Directory, resolve_chain, resolve_role

R = ChainRole
# 2026-03-02 10:00 in Beijing.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _unit(unit_id: str, kind: UnitKind, **kw: object) -> UnitUpserted:
    return UnitUpserted(unit_id=unit_id, kind=kind, name=unit_id, area_code="421100", **kw)


def _post(pid: str, unit: str, role: PostRole, holder: str | None, **kw: object) -> PostUpserted:
    return PostUpserted(
        post_id=pid, unit_id=unit, role=role, title=pid, holder_person_id=holder, **kw
    )


def _directory(
    *,
    township_principal: str | None = "p-tp",
    departments: tuple[str, ...] = ("zj",),
    industry: str = "E4710",
    drop: tuple[str, ...] = (),
    extra: tuple[PostUpserted, ...] = (),
) -> Directory:
    units = [
        _unit("county", UnitKind.COUNTY),
        _unit("office", UnitKind.DEPARTMENT, parent_id="county", is_safety_office=True),
        _unit("zj", UnitKind.DEPARTMENT, parent_id="county"),
        # 交通运输局 regulates road construction (E48) and so the enterprise without a link.
        _unit("jt", UnitKind.DEPARTMENT, parent_id="county", regulated_industry_codes=["E48"]),
        _unit("twp", UnitKind.TOWNSHIP, parent_id="county"),
        _unit(
            "ent",
            UnitKind.ENTERPRISE,
            parent_id="twp",
            territorial_unit_id="twp",
            supervising_department_ids=list(departments),
            industry_code=industry,
        ),
    ]
    posts = [
        _post("e1", "ent", PostRole.PRINCIPAL, "p-ep"),
        _post("e2", "ent", PostRole.SAFETY_MANAGER, "p-es"),
        _post("t1", "twp", PostRole.PRINCIPAL, township_principal),
        _post("t2", "twp", PostRole.DEPUTY_SAFETY, "p-ti"),
        _post("t3", "twp", PostRole.PARTY_SECRETARY, "p-ts"),
        _post("d1", "zj", PostRole.PRINCIPAL, "p-dh"),
        _post("d2", "zj", PostRole.DEPUTY_SAFETY, "p-di"),
        _post("j1", "jt", PostRole.PRINCIPAL, "p-jh"),
        _post("j2", "jt", PostRole.DEPUTY_SAFETY, "p-ji"),
        _post("c1", "county", PostRole.PRINCIPAL, "p-cp"),
        _post("c2", "county", PostRole.DEPUTY_SAFETY, "p-cs"),
        _post("c3", "county", PostRole.LEADERSHIP_MEMBER, "p-cl", portfolio_unit_ids=["zj"]),
        _post("c4", "county", PostRole.LEADERSHIP_MEMBER, "p-other", portfolio_unit_ids=["x"]),
        _post("c5", "county", PostRole.LEADERSHIP_MEMBER, "p-jl", portfolio_unit_ids=["jt"]),
        _post("c6", "county", PostRole.PARTY_SECRETARY, "p-cps"),
        _post("o1", "office", PostRole.DEPUTY_SAFETY, "p-office"),
    ]
    replaced = set(drop) | {p.post_id for p in extra}
    return Directory(units, [p for p in posts if p.post_id not in replaced] + list(extra))


def _people(directory: Directory, role: ChainRole, at: datetime = NOW) -> list[str]:
    return [e.person_id for e in resolve_role(directory, "ent", role, at=at)]


def test_chain_of_enterprise_in_township_under_department() -> None:
    chain = resolve_chain(_directory(), "ent", at=NOW)
    people = {role: [e.person_id for e in entries] for role, entries in chain.items()}
    assert people == {
        R.ENTERPRISE_PRINCIPAL: ["p-ep"],
        R.ENTERPRISE_SAFETY_MANAGER: ["p-es"],
        R.TOWNSHIP_PRINCIPAL: ["p-tp"],
        R.TOWNSHIP_IN_CHARGE: ["p-ti"],
        R.TOWNSHIP_PARTY_SECRETARY: ["p-ts"],
        R.DEPARTMENT_HEAD: ["p-dh"],
        R.DEPARTMENT_IN_CHARGE: ["p-di"],
        R.COUNTY_PORTFOLIO_LEADER: ["p-cl"],
        R.COUNTY_SAFETY_LEADER: ["p-cs"],
        R.COUNTY_PRINCIPAL: ["p-cp"],
        R.COUNTY_PARTY_SECRETARY: ["p-cps"],
        R.COUNTY_OFFICE: ["p-office"],
    }


def test_vacant_township_principal_falls_through_to_next_holder_up() -> None:
    entries = resolve_role(_directory(township_principal=None), "ent", R.TOWNSHIP_PRINCIPAL, at=NOW)
    # No county leader has the township in portfolio, but the department's does not count
    # for the township; the fall-through reaches the portfolio leader of the enterprise.
    assert [e.person_id for e in entries] == ["p-cl"]
    assert entries[0].covering_for == R.TOWNSHIP_PRINCIPAL
    assert entries[0].role == R.COUNTY_PORTFOLIO_LEADER


def test_an_enterprise_in_a_regulated_industry_reaches_that_department_without_a_link() -> None:
    road = _directory(industry="E4812")  # 公路工程建筑: 交通运输局 regulates E48
    heads = resolve_role(road, "ent", R.DEPARTMENT_HEAD, at=NOW)
    assert [(e.person_id, e.department_id) for e in heads] == [("p-jh", "jt"), ("p-dh", "zj")]
    assert _people(road, R.DEPARTMENT_IN_CHARGE) == ["p-ji", "p-di"]
    # the county leaders of both departments are the enterprise's portfolio leaders
    assert _people(road, R.COUNTY_PORTFOLIO_LEADER) == ["p-cl", "p-jl"]
    # housing construction (E47) is not road construction: 交通运输局 is not in its chain
    assert _people(_directory(industry="E4710"), R.DEPARTMENT_HEAD) == ["p-dh"]


def test_a_vacancy_falls_through_within_its_own_department() -> None:
    # 住建局's deputy is vacant while 交通运输局's is not: 住建局's head answers, and
    # 交通运输局's deputy still gets only his own department's duty.
    road = _directory(industry="E4812", drop=("d2",))
    entries = resolve_role(road, "ent", R.DEPARTMENT_IN_CHARGE, at=NOW)
    assert [(e.person_id, e.role, e.covering_for, e.department_id) for e in entries] == [
        ("p-ji", R.DEPARTMENT_IN_CHARGE, None, "jt"),
        ("p-dh", R.DEPARTMENT_HEAD, R.DEPARTMENT_IN_CHARGE, "zj"),
    ]


def test_a_department_with_every_post_vacant_goes_to_its_own_county_leader() -> None:
    # Both of 住建局's posts vacant: its county leader (p-cl), never 交通运输局's people or
    # 交通运输局's county leader.
    road = _directory(industry="E4812", drop=("d1", "d2"))
    entries = resolve_role(road, "ent", R.DEPARTMENT_HEAD, at=NOW)
    assert [(e.person_id, e.covering_for, e.department_id) for e in entries] == [
        ("p-jh", None, "jt"),
        ("p-cl", R.DEPARTMENT_HEAD, "zj"),
    ]
    # no county leader covers the department: the county leader in charge of safety
    alone = _directory(drop=("d1", "d2", "c3"))
    assert _people(alone, R.DEPARTMENT_IN_CHARGE) == ["p-cs"]


def test_without_a_supervising_department_the_county_office_answers() -> None:
    # Nobody links it, and no department regulates retail (F52).
    orphan = _directory(departments=(), industry="F5211")
    for role in (R.DEPARTMENT_HEAD, R.DEPARTMENT_IN_CHARGE):
        entries = resolve_role(orphan, "ent", role, at=NOW)
        assert [(e.person_id, e.role, e.covering_for) for e in entries] == [
            ("p-office", R.COUNTY_OFFICE, role)
        ]


def test_party_secretaries_stand_beside_the_principals() -> None:
    directory = _directory()
    assert _people(directory, R.TOWNSHIP_PARTY_SECRETARY) == ["p-ts"]
    assert _people(directory, R.COUNTY_PARTY_SECRETARY) == ["p-cps"]
    # a vacant secretary's seat: the principal of the same level answers
    vacant = _directory(drop=("t3", "c6"))
    entries = resolve_role(vacant, "ent", R.TOWNSHIP_PARTY_SECRETARY, at=NOW)
    assert [(e.person_id, e.covering_for) for e in entries] == [
        ("p-tp", R.TOWNSHIP_PARTY_SECRETARY)
    ]
    assert _people(vacant, R.COUNTY_PARTY_SECRETARY) == ["p-cp"]


def test_an_acting_holder_answers_within_their_period_only() -> None:
    acting = _post(
        "d1",
        "zj",
        PostRole.PRINCIPAL,
        "p-dh",
        acting_person_id="p-acting",
        acting_from=date(2026, 3, 2),
        acting_until=date(2026, 3, 6),
    )
    directory = _directory(drop=("d1",), extra=(acting,))
    # 3月2日 00:30 Beijing is still 3月1日 in UTC: the Beijing day counts
    first_morning = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    last_evening = datetime(2026, 3, 6, 15, 30, tzinfo=UTC)  # 3月6日 23:30 Beijing
    day_before = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 3月1日 23:30 Beijing
    day_after = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)  # 3月7日 00:30 Beijing
    entries = resolve_role(directory, "ent", R.DEPARTMENT_HEAD, at=first_morning)
    assert [(e.person_id, e.acting) for e in entries] == [("p-acting", True)]
    assert _people(directory, R.DEPARTMENT_HEAD, last_evening) == ["p-acting"]
    assert _people(directory, R.DEPARTMENT_HEAD, day_before) == ["p-dh"]
    assert _people(directory, R.DEPARTMENT_HEAD, day_after) == ["p-dh"]


def test_an_acting_holder_fills_a_vacant_post_until_further_notice() -> None:
    acting = _post(
        "d2",
        "zj",
        PostRole.DEPUTY_SAFETY,
        None,
        acting_person_id="p-acting",
        acting_from=date(2026, 3, 2),
    )
    directory = _directory(extra=(acting,))
    assert _people(directory, R.DEPARTMENT_IN_CHARGE, datetime(2026, 9, 1, tzinfo=UTC)) == [
        "p-acting"
    ]
    # before the period the post is vacant and falls through to the head
    before = datetime(2026, 3, 1, 2, tzinfo=UTC)
    entries = resolve_role(directory, "ent", R.DEPARTMENT_IN_CHARGE, at=before)
    assert [(e.person_id, e.covering_for) for e in entries] == [("p-dh", R.DEPARTMENT_IN_CHARGE)]


def test_a_handover_date_is_honoured() -> None:
    handover = _post(
        "t1",
        "twp",
        PostRole.PRINCIPAL,
        "p-new",
        holder_from=date(2026, 3, 10),
        previous_holder_person_id="p-tp",
    )
    directory = _directory(extra=(handover,))
    assert _people(directory, R.TOWNSHIP_PRINCIPAL, datetime(2026, 3, 9, 15, tzinfo=UTC)) == [
        "p-tp"
    ]
    assert _people(directory, R.TOWNSHIP_PRINCIPAL, datetime(2026, 3, 9, 16, tzinfo=UTC)) == [
        "p-new"
    ]
    # a newly created post, nobody before the handover: vacant, falls through
    fresh = _post("t1", "twp", PostRole.PRINCIPAL, "p-new", holder_from=date(2026, 3, 10))
    early = resolve_role(_directory(extra=(fresh,)), "ent", R.TOWNSHIP_PRINCIPAL, at=NOW)
    assert [(e.person_id, e.covering_for) for e in early] == [("p-cl", R.TOWNSHIP_PRINCIPAL)]


def test_events_from_before_the_chain_fields_still_parse() -> None:
    old_post = {"post_id": "p", "unit_id": "u", "role": "principal", "title": "局长"}
    old_unit = {"unit_id": "u", "kind": "department", "name": "局", "area_code": "421100"}
    for event_type, payload in (("org.post_upserted", old_post), ("org.unit_upserted", old_unit)):
        envelope = Envelope(
            type=event_type,
            occurred_at=NOW,
            aggregate_id="u",
            producer="hazard_api",
            payload=payload,
        )
        parsed = envelope.typed_payload()
        assert parsed.model_dump(exclude_unset=True) == payload
    assert PostUpserted.model_validate(old_post).acting_person_id is None
    assert UnitUpserted.model_validate(old_unit).regulated_industry_codes == []
