"""The risks and issues log of a project."""

import pytest

from touchpoint.core.models import Event, Notification
from touchpoint.delivery.models import Health, RiskStatus
from touchpoint.delivery.services.projects import project_move
from touchpoint.delivery.services.risks import risk_raise, risk_update
from touchpoint.delivery.tests.builders import days_from_today, fresh, refused

pytestmark = pytest.mark.django_db


def test_raising_a_risk_logs_it_and_tells_its_owner(personas, staffed):
    risk = risk_raise(project=staffed, by=personas.project_manager, title="柜台接口文档缺失", description="恒生接口版本未定",
                      owner=personas.engineer, due_on=days_from_today(7), likelihood="high")  # fmt: skip

    assert (risk.customer_id, risk.kind, risk.impact, risk.likelihood) == (staffed.customer_id, "risk", "medium", "high")
    assert risk.raised_by == personas.project_manager and risk.status == RiskStatus.OPEN
    assert Event.objects.get(verb="project.risk_raised").payload["risk"] == "柜台接口文档缺失"
    assert Notification.objects.filter(recipient=personas.engineer, key=f"risk:{risk.pk}:owner:{personas.engineer.pk}").exists()
    assert not Notification.objects.filter(recipient=personas.project_manager).filter(key__startswith="risk:").exists()


def test_a_high_impact_entry_raised_by_someone_else_alerts_the_project_manager(personas, staffed):
    issue = risk_raise(project=staffed, by=personas.engineer, title="测试环境宕机", kind="issue", impact="high")

    assert Notification.objects.filter(recipient=personas.project_manager, key=f"risk:{issue.pk}:high").exists()
    assert fresh(staffed).health == Health.RED


@pytest.mark.parametrize(
    ("field", "values"),
    [("title", {"title": " "}), ("kind", {"kind": "worry"}), ("impact", {"impact": "huge"}), ("likelihood", {"likelihood": "?"})],
)
def test_an_entry_needs_a_title_and_listed_values(personas, staffed, field, values):
    with refused(field):
        risk_raise(project=staffed, by=personas.project_manager, **({"title": "风险"} | values))


def test_closing_an_entry_stamps_when_and_later_edits_keep_that_time(personas, staffed):
    pm = personas.project_manager
    risk = risk_raise(project=staffed, by=pm, title="上线窗口冲突", impact="high")

    risk = risk_update(risk=risk, by=pm, expected_version=risk.version, status="closed", mitigation="改到国庆后上线")
    closed_at = risk.closed_at
    assert closed_at is not None and Event.objects.filter(verb="project.risk_closed").count() == 1

    risk = risk_update(risk=risk, by=pm, expected_version=risk.version, description="补记：交易所已确认窗口")

    assert fresh(risk).closed_at == closed_at
    assert Event.objects.filter(verb="project.risk_closed").count() == 1


def test_reopening_an_entry_clears_its_closing_time(personas, staffed):
    pm = personas.project_manager
    risk = risk_raise(project=staffed, by=pm, title="上线窗口冲突")
    risk = risk_update(risk=risk, by=pm, expected_version=risk.version, status="closed")

    risk = risk_update(risk=risk, by=pm, expected_version=risk.version, status="mitigating")

    assert fresh(risk).closed_at is None and fresh(risk).is_open


def test_a_stale_edit_is_refused(personas, staffed):
    pm = personas.project_manager
    risk = risk_raise(project=staffed, by=pm, title="上线窗口冲突")
    risk_update(risk=risk, by=pm, expected_version=risk.version, impact="high")

    with refused(None, risk):
        risk_update(risk=risk, by=personas.engineer, expected_version=risk.version, impact="low")


def test_the_log_of_a_cancelled_project_is_read_only(personas, staffed):
    risk = risk_raise(project=staffed, by=personas.project_manager, title="上线窗口冲突")
    project = project_move(project=staffed, to="cancelled", by=personas.project_manager, reason="合同终止")

    with refused(None, risk):
        risk_update(risk=risk, by=personas.project_manager, expected_version=risk.version, status="closed")
    with refused(None):
        risk_raise(project=project, by=personas.project_manager, title="新风险")
