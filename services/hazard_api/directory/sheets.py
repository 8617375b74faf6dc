"""The import template's sheets and columns: Chinese headers, the notes shown on them and the
closed choices; the reader and the writer (workbook.py) and the checks (intake*.py) share them."""

from __future__ import annotations

from dataclasses import dataclass

from shared.contract import UnitKind
from shared.labels import ENTERPRISE_STATUS_LABELS, POST_ROLE_LABELS, UNIT_KIND_LABELS

YES, NO = "是", "否"
GOVERNMENT_KINDS = (UnitKind.COUNTY, UnitKind.TOWNSHIP, UnitKind.VILLAGE, UnitKind.DEPARTMENT)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    note: str
    required: bool = False
    choices: tuple[str, ...] = ()
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    key: str
    title: str
    purpose: str
    columns: tuple[Column, ...]
    example: tuple[str, ...]

    def header_of(self, key: str) -> str:
        return next(c.header for c in self.columns if c.key == key)


_YES_NO = (YES, NO)
_CODE = "1至36位字母、数字或 _ . : -，导入后不可更改，用来识别同一条记录"

UNITS = Sheet(
    "units",
    "单位",
    "县、乡镇（街道）、村（社区）和部门（安委成员单位）。企业填在“企业”表。",
    (
        Column("id", "单位编码", _CODE, required=True),
        Column("name", "单位名称", "同一上级单位下不能重名", required=True, width=24),
        Column(
            "kind",
            "单位类别",
            "从下拉列表选择",
            required=True,
            choices=tuple(UNIT_KIND_LABELS[k] for k in GOVERNMENT_KINDS),
        ),
        Column("parent_id", "上级单位编码", "县不填；乡镇（街道）和部门填县的编码；村填乡镇编码"),
        Column("area_code", "行政区划代码", "GB/T 2260 六位代码；不填则取县的代码"),
        Column("is_safety_office", "是否县安委办", "只有一个部门可填“是”", choices=_YES_NO),
    ),
    ("tw-daping", "大坪乡", "乡镇（街道）", "county", "430723", "否"),
)
ENTERPRISES = Sheet(
    "enterprises",
    "企业",
    "生产经营单位。以统一社会信用代码识别；单位编码可不填（不填时即为信用代码）。",
    (
        Column("id", "单位编码", "可不填；填写时规则同“单位”表"),
        Column(
            "credit_code", "统一社会信用代码", "18位，GB 32100，含校验位", required=True, width=22
        ),
        Column("name", "企业名称", "同一属地单位下不能重名", required=True, width=28),
        Column("territorial_unit_id", "属地单位编码", "所在乡镇（街道）或村的编码", required=True),
        Column("area_code", "行政区划代码", "GB/T 2260 六位代码；不填则取县的代码"),
        Column("industry_code", "行业代码", "GB/T 4754-2017，如 C2672", required=True),
        Column("industry_name", "行业名称", "如 焰火、鞭炮产品制造", width=24),
        Column("high_risk", "是否高危行业", "不填为“否”", choices=_YES_NO),
        Column(
            "status",
            "经营状态",
            "不填为“正常生产”",
            choices=tuple(ENTERPRISE_STATUS_LABELS.values()),
        ),
    ),
    (
        "",
        "91430723MA4L0XXXXN",
        "红星烟花爆竹有限公司",
        "tw-daping",
        "430723",
        "C2672",
        "焰火、鞭炮产品制造",
        "是",
        "正常生产",
    ),
)
PEOPLE = Sheet(
    "people",
    "人员",
    "每人一行；一人任多个岗位时在“岗位”表引用同一人员编码。",
    (
        Column("id", "人员编码", _CODE + "（没有工号的可用手机号码）", required=True),
        Column("name", "姓名", "", required=True),
        Column("unit_id", "所在单位编码", "人员档案所在单位", required=True),
        Column("mobile", "手机号码", "11位大陆手机号，全县不能重复"),
        Column("email", "电子邮箱", "", width=24),
        Column("active", "是否在岗", "不填为“是”", choices=_YES_NO),
    ),
    ("p-zhoujun", "周军", "tw-daping", "13800000011", "zhoujun@example.cn", "是"),
)
POSTS = Sheet(
    "posts",
    "岗位",
    "一个岗位一行，只能由一人担任；任职人员不填即为空缺。",
    (
        Column("id", "岗位编码", _CODE, required=True),
        Column("unit_id", "单位编码", "岗位所在单位", required=True),
        Column(
            "role",
            "岗位类别",
            "从下拉列表选择",
            required=True,
            choices=tuple(POST_ROLE_LABELS.values()),
        ),
        Column("title", "职务名称", "如 乡长、分管安全副乡长", required=True, width=24),
        Column("holder_person_id", "任职人员编码", "“人员”表或目录中已有的人员编码；空缺不填"),
        Column("acting", "是否代理", "任职人员本身是代理（代职）的填“是”", choices=_YES_NO),
        Column("acting_person_id", "代理人员编码", "任职人员外出等期间由他人代理时填写"),
        Column("acting_from", "代理开始日期", "如 2026-03-01（北京时间，含当日）"),
        Column("acting_until", "代理结束日期", "不填为“直至另行通知”"),
        Column("holder_from", "任职交接日期", "此日起由任职人员担任，之前仍由前任担任"),
        Column("previous_holder_person_id", "前任人员编码", "填写交接日期时可填；不填为此前空缺"),
    ),
    (
        "post-daping-xiangzhang",
        "tw-daping",
        "主要负责人",
        "乡长",
        "p-zhoujun",
        "否",
        "",
        "",
        "",
        "",
        "",
    ),
)
PORTFOLIOS = Sheet(
    "portfolios",
    "分管范围",
    "领导岗位的一岗双责分管范围，每项一行：分管单位或分管行业二选一。"
    "本表存在时，文件中出现的岗位的分管范围以本表为准。",
    (
        Column(
            "post_id", "岗位编码", "领导岗位（主要负责人、分管安全负责人、班子成员）", required=True
        ),
        Column("unit_id", "分管单位编码", "部门、乡镇（街道）等"),
        Column("industry_code", "分管行业代码", "GB/T 4754 代码或其前缀，如 E47、C267"),
    ),
    ("post-fuxianzhang-chen", "dep-zhujian", ""),
)
SUPERVISION = Sheet(
    "supervision",
    "行业监管",
    "部门监管哪些企业（逐家）或哪些行业（管行业必须管安全），每项一行：企业编码和行业代码二选一。"
    "本表存在时，文件中出现的企业的监管部门、出现的部门的监管行业，以本表为准。",
    (
        Column("department_id", "监管部门编码", "部门的单位编码", required=True),
        Column("enterprise_id", "企业编码", "企业的单位编码或统一社会信用代码", width=22),
        Column("industry_code", "监管行业代码", "GB/T 4754 代码或其前缀，如 C267、E48"),
    ),
    ("dep-yingji", "91430723MA4L0XXXXN", ""),
)
SHEETS: tuple[Sheet, ...] = (UNITS, ENTERPRISES, PEOPLE, POSTS, PORTFOLIOS, SUPERVISION)
GUIDE_TITLE = "填写说明"
