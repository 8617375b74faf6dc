"""The API's field names as the forms label them, so a refusal reads 「隐患部位：不能为空」 and
not 「location：内容过短」: one table for every page, since the pages post the API's own names."""

from __future__ import annotations

FIELD_LABELS = {
    # 登记隐患
    "unit_id": "单位",
    "source": "隐患来源",
    "location": "隐患部位",
    "description": "隐患描述",
    "found_at": "发现时间",
    "latitude": "纬度",
    "longitude": "经度",
    # 判定、治理方案、挂牌、延期、验收、销号、作废
    "level": "隐患级别",
    "grade": "重大事故隐患分级",
    "criterion_id": "判定依据",
    "deadline_days": "整改期限",
    "deadline_kind": "期限计算方式",
    "goal_and_tasks": "治理的目标和任务",
    "methods_and_measures": "采取的方法和措施",
    "funds_and_materials": "经费和物资的落实",
    "organisation_and_persons": "负责治理的机构和人员",
    "time_limit": "治理的时限和要求",
    "safety_and_emergency": "安全措施和应急预案",
    "funds_budget": "治理资金预算",
    "responsible_person": "责任人",
    "note": "说明",
    "notice_no": "通知文号",
    "delisting_notice_no": "摘牌通知文号",
    "days": "延期天数",
    "reason": "理由",
    "opinion": "意见",
    "summary": "整改情况",
    "funds_spent": "整改资金",
    "attachment_ids": "整改后照片",
    "file": "上传的文件",
    "purpose": "材料用途",
    # 事故快报与四不放过
    "channel": "接报渠道",
    "received_at": "接报时间",
    "occurred_at": "事故发生时间",
    "place": "事故发生地点",
    "accident_type": "事故类别",
    "account": "事故简要经过",
    "measures_taken": "已经采取的措施",
    "reporter_name": "报告人",
    "reporter_phone": "联系电话",
    "deaths": "死亡人数",
    "missing": "失踪人数",
    "serious_injuries": "重伤人数",
    "minor_injuries": "轻伤人数",
    "trapped": "被困人数",
    "poisoned": "中毒人数",
    "direct_loss_yuan": "直接经济损失",
    "cause": "事故原因",
    "report_no": "调查报告文号",
    "evidence": "佐证",
    "persons": "责任人员",
    "person": "姓名",
    "unit": "单位",
    "measure": "处理措施",
    "responsible_persons": "对事故责任者的教育",
    "workers": "对从业人员的教育",
    "measures": "整改措施",
    "hazard_id": "隐患编号",
    # 停产停业整顿与复工复产申请
    "order_no": "文号",
    "accident_id": "关联事故",
    "self_check": "自查情况",
    "rectification_report": "整改报告",
    "training_records": "培训记录",
    "drill_records": "应急演练记录",
    # 复工复产验收
    "team": "验收人员",
    "name": "姓名",
    "checklist": "验收清单",
    "item": "检查项目",
    "standard": "标准",
    "result": "结果",
    "passed": "验收结论",
    # 账号、节假日安排
    "username": "用户名",
    "password": "密码",
    "current_password": "当前密码",
    "new_password": "新密码",
    "year": "年份",
    "holidays": "放假日期",
    "workdays": "调休上班日期",
}


def field_label(loc: str) -> str:
    """`holidays.0` → 放假日期（第1项）; `checklist.2.evidence` → 验收清单（第3项）佐证. Empty when
    a part has no label: an API name is not shown to a user, the message alone is."""
    said = ""
    for part in loc.split("."):
        if part.isdecimal():
            said += f"（第{int(part) + 1}项）"
        elif part in FIELD_LABELS:
            said += FIELD_LABELS[part]
        else:
            return ""
    return said
