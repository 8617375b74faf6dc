"""A made-up "official" 2027 holiday schedule that differs from the estimate (the real one may
not be published yet), and a start from which a working-day deadline crosses the difference."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Monday 2026-12-21, 10:00 in Shanghai.
START = datetime(2026, 12, 21, 2, 0, tzinfo=UTC)
NOTICE = "国办发明电〔2026〕99号"
# The estimate has only 1 January off in the first days of 2027; this one also gives Monday
# 4 January, made up on Saturday 9 January. Ten working days from START therefore end on
# Tuesday 5 January on the estimate and on Wednesday 6 January on this schedule.
OFFICIAL_2027: dict[str, Any] = {
    "year": 2027,
    "notice_no": NOTICE,
    # Every statutory day is off, as in any real notice (the API refuses a schedule without).
    "holidays": [
        "2027-01-01",
        "2027-01-02",
        "2027-01-03",
        "2027-01-04",
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-02-09",
        "2027-02-10",
        "2027-02-11",
        "2027-04-03",
        "2027-04-04",
        "2027-04-05",
        "2027-05-01",
        "2027-05-02",
        "2027-05-03",
        "2027-05-04",
        "2027-05-05",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01",
        "2027-10-02",
        "2027-10-03",
        "2027-10-04",
        "2027-10-05",
        "2027-10-06",
        "2027-10-07",
    ],
    "workdays": ["2027-01-09", "2027-02-20", "2027-05-08", "2027-10-09"],
}
ESTIMATED_DEADLINE = "2027-01-05T15:59:59.999999Z"  # end of 5 January in Shanghai
OFFICIAL_DEADLINE = "2027-01-06T15:59:59.999999Z"
ESTIMATED_LABEL = "2027年1月5日23:59（预计）"
OFFICIAL_LABEL = "2027年1月6日23:59"
