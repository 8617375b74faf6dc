from shared.contract import ChainRole, PostRole, PostUpserted, UnitKind, UnitUpserted
from shared.responsibility import Directory, resolve_chain, resolve_role


def _directory(township_principal: str | None = "p-tp") -> Directory:
    units = [
        UnitUpserted(unit_id="county", kind=UnitKind.COUNTY, name="县", area_code="421100"),
        UnitUpserted(
            unit_id="office",
            kind=UnitKind.DEPARTMENT,
            name="应急管理局",
            area_code="421100",
            parent_id="county",
            is_safety_office=True,
        ),
        UnitUpserted(
            unit_id="zj",
            kind=UnitKind.DEPARTMENT,
            name="住建局",
            area_code="421100",
            parent_id="county",
        ),
        UnitUpserted(
            unit_id="twp",
            kind=UnitKind.TOWNSHIP,
            name="大坪乡",
            area_code="421101",
            parent_id="county",
        ),
        UnitUpserted(
            unit_id="ent",
            kind=UnitKind.ENTERPRISE,
            name="某建筑公司",
            area_code="421101",
            parent_id="twp",
            territorial_unit_id="twp",
            supervising_department_ids=["zj"],
            industry_code="E4710",
        ),
    ]

    def post(pid: str, unit: str, role: PostRole, holder: str | None, **kw: object) -> PostUpserted:
        return PostUpserted(
            post_id=pid, unit_id=unit, role=role, title=pid, holder_person_id=holder, **kw
        )

    posts = [
        post("e1", "ent", PostRole.PRINCIPAL, "p-ep"),
        post("e2", "ent", PostRole.SAFETY_MANAGER, "p-es"),
        post("t1", "twp", PostRole.PRINCIPAL, township_principal),
        post("t2", "twp", PostRole.DEPUTY_SAFETY, "p-ti"),
        post("d1", "zj", PostRole.PRINCIPAL, "p-dh"),
        post("d2", "zj", PostRole.DEPUTY_SAFETY, "p-di"),
        post("c1", "county", PostRole.PRINCIPAL, "p-cp"),
        post("c2", "county", PostRole.DEPUTY_SAFETY, "p-cs"),
        post("c3", "county", PostRole.LEADERSHIP_MEMBER, "p-cl", portfolio_unit_ids=["zj"]),
        post("c4", "county", PostRole.LEADERSHIP_MEMBER, "p-other", portfolio_unit_ids=["x"]),
        post("o1", "office", PostRole.DEPUTY_SAFETY, "p-office"),
    ]
    return Directory(units, posts)


def test_chain_of_enterprise_in_township_under_department() -> None:
    chain = resolve_chain(_directory(), "ent")
    people = {role: [e.person_id for e in entries] for role, entries in chain.items()}
    assert people == {
        ChainRole.ENTERPRISE_PRINCIPAL: ["p-ep"],
        ChainRole.ENTERPRISE_SAFETY_MANAGER: ["p-es"],
        ChainRole.TOWNSHIP_PRINCIPAL: ["p-tp"],
        ChainRole.TOWNSHIP_IN_CHARGE: ["p-ti"],
        ChainRole.DEPARTMENT_HEAD: ["p-dh"],
        ChainRole.DEPARTMENT_IN_CHARGE: ["p-di"],
        ChainRole.COUNTY_PORTFOLIO_LEADER: ["p-cl"],
        ChainRole.COUNTY_SAFETY_LEADER: ["p-cs"],
        ChainRole.COUNTY_PRINCIPAL: ["p-cp"],
        ChainRole.COUNTY_OFFICE: ["p-office"],
    }


def test_vacant_township_principal_falls_through_to_next_holder_up() -> None:
    entries = resolve_role(_directory(township_principal=None), "ent", ChainRole.TOWNSHIP_PRINCIPAL)
    # No county leader has the township in portfolio, but the department's does not count
    # for the township; the fall-through reaches the portfolio leader of the enterprise.
    assert [e.person_id for e in entries] == ["p-cl"]
    assert entries[0].covering_for == ChainRole.TOWNSHIP_PRINCIPAL
    assert entries[0].role == ChainRole.COUNTY_PORTFOLIO_LEADER
