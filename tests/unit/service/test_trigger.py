"""The trigger's answer: execution ids that are not positive integers, a missing or unasked
schedule: each is the error the README names, never a wait."""

from __future__ import annotations

from typing import Any

import pytest

from vibetesting_ci.errors import TriggerUncertain
from vibetesting_ci.service.trigger import trigger_result


def test_trigger_answers_unit():
    def check(answer: dict[str, Any], scheduled: bool = False) -> Any:
        return trigger_result("run-tests", {"status": "success", **answer}, scheduled=scheduled)

    assert check({"execution_ids": [7, 8]}).execution_ids == (7, 8)
    for ids in ([True], ["1"], [1.0], [0], [-3], [7, None], [], "7", None, {"a": 1}):
        with pytest.raises(TriggerUncertain, match="may have started"):
            check({"execution_ids": ids})
    with pytest.raises(TriggerUncertain, match="no execution_ids"):
        check({})
    with pytest.raises(TriggerUncertain, match="no schedule_id"):
        check({"execution_ids": [7]}, scheduled=True)
    with pytest.raises(TriggerUncertain, match="schedule_id held"):
        check({"execution_ids": [7], "schedule_id": {"x": 1}}, scheduled=True)
    unasked = check({"execution_ids": [7], "schedule_id": "s-1"})
    assert not unasked.scheduled and unasked.unasked_schedule == "s-1"
    asked = check({"execution_ids": [], "schedule_id": 42}, scheduled=True)
    assert asked.scheduled and asked.schedule_id == "42"
