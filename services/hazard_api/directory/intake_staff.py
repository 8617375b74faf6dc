"""Checks of the people, posts and portfolios sheets."""

from __future__ import annotations

from collections import defaultdict

from services.hazard_api.directory.cells import (
    ROLES_BY_LABEL,
    Parsers,
    RowChecker,
    choice,
    day,
    entity_id,
    opt,
    text,
    yes_no,
)
from services.hazard_api.directory.rows import PersonRow, PostRow, UnitRow
from services.hazard_api.directory.schemas import LEADERSHIP_ROLES, PostIn, _email, _mobile
from services.hazard_api.directory.sheets import PEOPLE, PORTFOLIOS, POSTS
from services.hazard_api.directory.tenure import PERSON_FIELDS, check_tenure
from services.hazard_api.errors import FieldError
from shared.codes.national import industry_problem
from shared.contract import PostRole
from shared.labels import POST_ROLE_LABELS

_TENURE = (
    "acting_person_id",
    "acting_from",
    "acting_until",
    "holder_from",
    "previous_holder_person_id",
)


class StaffChecks(RowChecker):
    def read_people(self, final_units: dict[str, UnitRow]) -> None:
        cells: Parsers = {  # built once, not per row
            "id": (entity_id, True),
            "name": (text(50), True),
            "unit_id": (entity_id, True),
            "mobile": (_mobile, False),
            "email": (_email, False),
            "active": (yes_no, False),
        }
        for row in self.sheets.rows.get(PEOPLE.key, []):
            values = self.fields(PEOPLE, row, cells)
            person_id = row.values.get("id")
            if person_id is not None:
                earlier = self.person_rows.get(person_id)
                if earlier is not None:
                    self.problem(
                        PEOPLE, row, "id", f"人员编码 {person_id} 与第{earlier.number}行重复"
                    )
                    continue
                self.person_rows[person_id] = row
            if values is None or person_id is None:
                continue
            unit_id = str(values["unit_id"])
            if unit_id not in final_units:
                if unit_id not in self.unit_rows:
                    self.problem(
                        PEOPLE,
                        row,
                        "unit_id",
                        f"所在单位编码 {unit_id} 不存在（本文件和目录中都没有）",
                    )
                continue
            active = values["active"]
            self.plan.people[person_id] = PersonRow(
                id=person_id,
                unit_id=unit_id,
                name=str(values["name"]),
                mobile=opt(values["mobile"]),
                email=opt(values["email"]),
                active=True if active is None else bool(active),
            )

    def check_mobiles(self, final_people: dict[str, PersonRow]) -> None:
        holders: dict[str, list[str]] = defaultdict(list)
        for person in final_people.values():
            if person.mobile:
                holders[person.mobile].append(person.id)
        for person in self.plan.people.values():
            if not person.mobile or len(holders[person.mobile]) < 2:
                continue
            row = self.person_rows[person.id]
            # Named once, on the later row: the first holder (earlier, or stored) keeps it.
            others = [
                p
                for p in holders[person.mobile]
                if p != person.id
                and (p not in self.person_rows or self.person_rows[p].number < row.number)
            ]
            if others:
                other = others[0]
                where = self.person_rows.get(other)
                name = final_people[other].name
                said = f"第{where.number}行的" if where else "目录中的"
                self.problem(
                    PEOPLE,
                    row,
                    "mobile",
                    f"手机号码 {person.mobile} 与{said}「{name}」（编码 {other}）重复",
                )

    def read_posts(
        self, final_units: dict[str, UnitRow], final_people: dict[str, PersonRow]
    ) -> None:
        cells: Parsers = {  # built once, not per row
            "id": (entity_id, True),
            "unit_id": (entity_id, True),
            "role": (choice(ROLES_BY_LABEL, "岗位类别"), True),
            "title": (text(100), True),
            "holder_person_id": (entity_id, False),
            "acting": (yes_no, False),
            "acting_person_id": (entity_id, False),
            "acting_from": (day, False),
            "acting_until": (day, False),
            "holder_from": (day, False),
            "previous_holder_person_id": (entity_id, False),
        }
        for row in self.sheets.rows.get(POSTS.key, []):
            values = self.fields(POSTS, row, cells)
            post_id = row.values.get("id")
            holder = row.values.get("holder_person_id")
            if post_id is not None:
                earlier = self.post_rows.get(post_id)
                if earlier is not None:
                    if earlier[2] != holder and earlier[2] and holder:
                        message = (
                            f"岗位 {post_id} 已在第{earlier[1]}行由人员 {earlier[2]} 担任："
                            "一个岗位只能由一人担任（代理的也只填代理人）"
                        )
                    else:
                        message = f"岗位编码 {post_id} 与第{earlier[1]}行重复"
                    self.problem(POSTS, row, "holder_person_id" if holder else "id", message)
                    continue
                self.post_rows[post_id] = (POSTS.title, row.number, holder)
            if values is None or post_id is None:
                continue
            ok = True
            unit_id = str(values["unit_id"])
            if unit_id not in final_units:
                ok = False
                if unit_id not in self.unit_rows:
                    self.problem(
                        POSTS, row, "unit_id", f"单位编码 {unit_id} 不存在（本文件和目录中都没有）"
                    )
            for key in PERSON_FIELDS:
                person_id = row.values.get(key)
                if person_id is not None and person_id not in final_people:
                    ok = False
                    if person_id not in self.person_rows:
                        self.problem(
                            POSTS,
                            row,
                            key,
                            f"人员编码 {person_id} 不存在：请先在“人员”表中填写",
                        )
            if values["acting"] and holder is None:
                ok = False
                self.problem(POSTS, row, "acting", "空缺岗位不能标记为代理")
            existing = self.current.posts.get(post_id)
            post = PostRow(
                id=post_id,
                unit_id=unit_id,
                role=str(values["role"]),
                title=str(values["title"]),
                holder_person_id=holder,
                acting=bool(values["acting"]),
                portfolio_units=existing.portfolio_units if existing else (),
                portfolio_industries=existing.portfolio_industries if existing else (),
                acting_person_id=opt(values["acting_person_id"]),
                acting_from=values["acting_from"],  # type: ignore[arg-type]
                acting_until=values["acting_until"],  # type: ignore[arg-type]
                holder_from=values["holder_from"],  # type: ignore[arg-type]
                previous_holder_person_id=opt(values["previous_holder_person_id"]),
            )
            try:  # the API's own rules for acting periods and handovers
                if any(row.values.get(k) for k in _TENURE):
                    check_tenure(PostIn.model_construct(**post._asdict()))
            except FieldError as exc:
                ok = False
                self.problem(POSTS, row, exc.field, exc.message)
            if ok:
                self.plan.posts[post_id] = post

    def apply_portfolios(self, final_units: dict[str, UnitRow]) -> None:
        rows = self.sheets.rows.get(PORTFOLIOS.key)
        final_posts = {**self.current.posts, **self.plan.posts}
        wanted: dict[str, tuple[set[str], set[str]]] = {}
        if rows is not None:  # no such sheet: portfolios are left as they are
            wanted = {post_id: (set(), set()) for post_id in self.plan.posts}
        for row in rows or []:
            post_id = row.values.get("post_id")
            unit_id = row.values.get("unit_id")
            industry = row.values.get("industry_code")
            if post_id is None:
                self.problem(PORTFOLIOS, row, "post_id", "“岗位编码”为必填项")
            elif post_id not in final_posts:
                if post_id not in self.post_rows:
                    self.problem(
                        PORTFOLIOS,
                        row,
                        "post_id",
                        f"岗位编码 {post_id} 不存在（本文件和目录中都没有）",
                    )
                post_id = None
            elif PostRole(final_posts[post_id].role) not in LEADERSHIP_ROLES:
                role = POST_ROLE_LABELS[final_posts[post_id].role]
                self.problem(
                    PORTFOLIOS,
                    row,
                    "post_id",
                    f"岗位 {post_id} 是{role}，只有领导岗位可以设置分管范围（一岗双责）",
                )
                post_id = None
            if (unit_id is None) == (industry is None):
                self.problem(
                    PORTFOLIOS, row, "unit_id", "“分管单位编码”和“分管行业代码”须填且只填一项"
                )
                continue
            if unit_id is not None and unit_id not in final_units:
                if unit_id not in self.unit_rows:
                    self.problem(
                        PORTFOLIOS,
                        row,
                        "unit_id",
                        f"分管单位编码 {unit_id} 不存在（本文件和目录中都没有）",
                    )
                continue
            if industry is not None:
                industry = industry.upper()
                if (problem := industry_problem(industry)) is not None:
                    self.problem(PORTFOLIOS, row, "industry_code", problem)
                    continue
            if post_id is not None:
                units, industries = wanted.setdefault(post_id, (set(), set()))
                if unit_id is not None:
                    units.add(unit_id)
                if industry is not None:
                    industries.add(industry)
        for post_id, (units, industries) in wanted.items():
            post = final_posts[post_id]
            self.plan.posts[post_id] = post._replace(
                portfolio_units=tuple(sorted(units)), portfolio_industries=tuple(sorted(industries))
            )
