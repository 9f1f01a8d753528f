"""The delivery journey of issue 5: a contract is activated and its project opens from the template;
the project manager takes it and assigns a task; the engineer logs time and a site visit; the signed
installation certificate is uploaded and finance sees the invoice request; the handover is completed
and signed by the project manager and the maintenance lead; the maintenance centre then owns the
customer's service and the engineer's access to the customer has ended."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from touchpoint.delivery.models import Handover, HandoverStatus, Project, ProjectStatus, TimeEntry
from touchpoint.sales.models import ContractStatus, MilestoneStatus
from touchpoint.sales.services.contracts import contract_confirm
from touchpoint.touchpoints.models import Touchpoint

from .pages import translated
from .test_finance import drafted_contract, make_modules, panel

SIGNED_PDF = b"%PDF-1.4\n% signed installation acceptance certificate\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def button(scope: Any, message: str) -> Any:
    return scope.get_by_role("button", name=translated(message), exact=True)


def select_option_containing(select: Any, text: str) -> None:
    value = select.locator("option", has_text=text).first.get_attribute("value")
    select.select_option(value)


@pytest.mark.browser
def test_a_project_runs_from_activation_to_a_signed_handover(people, signed_in, screenshot_dir, tmp_path):
    today = timezone.localdate()
    modules = make_modules()
    contract = contract_confirm(contract=drafted_contract(people, "两融系统建设", [modules["fc-core"], modules["fc-margin"]]),
                                by=people.sales_rep)  # fmt: skip
    assert contract.status == ContractStatus.ACTIVE

    # 1. Activation opened the project from the default template: six phases, milestones that drive money.
    project = Project.objects.get(contract=contract)
    pm = signed_in("pm")
    pm.goto("/projects/")
    pm.get_by_role("link", name=project.number).click()
    expect(pm.locator("h1")).to_contain_text(project.name)
    team = pm.locator("section[aria-labelledby=team-title]")
    select_option_containing(team.locator("select[name=user]").first, people.project_manager.full_name)
    button(team, "Assign").click()
    expect(pm.locator("h1 + div")).to_contain_text(people.project_manager.full_name)
    pm.get_by_role("link", name=translated("Plan"), exact=True).click()
    for phase in ("需求确认", "开发/定制", "安装部署", "联调测试", "培训", "上线验收"):
        expect(pm.locator("#main")).to_contain_text(phase)

    # 2. The first task goes to the engineer, who starts it, logs time and a site visit.
    first = project.tasks.order_by("start_on", "order").first()
    pm.get_by_role("link", name=first.name, exact=True).click()
    select_option_containing(pm.locator("select[name=assignee]"), people.engineer.full_name)
    button(pm, "Save").click()
    expect(pm).to_have_url(re.compile(rf"/projects/{project.pk}/tasks/$"))

    engineer = signed_in("engineer")
    expect(panel(engineer, "my_tasks")).to_contain_text(first.name)
    engineer.goto("/my/tasks/")
    row = engineer.locator("tbody tr", has_text=first.name)
    button(row, "Start").click()
    expect(engineer.locator("tbody tr", has_text=first.name)).to_contain_text(translated("In progress"))
    engineer.locator("tbody tr", has_text=first.name).get_by_role("link", name=translated("Log time")).click()
    engineer.locator("input[name=hours]").fill("6.5")
    button(engineer, "Log").click()
    expect(engineer.locator("tfoot")).to_contain_text("6.5")
    assert TimeEntry.objects.get(user=people.engineer).hours == 6.5
    engineer.goto(f"/projects/{project.pk}/visit/")
    engineer.locator("input[name=subject]").fill("现场环境检查")
    engineer.locator("select[name=contacts]").select_option(str(people.contact_a.pk))
    button(engineer, "Log the visit").click()
    expect(engineer.locator(".alert-success")).to_be_visible()
    visit = Touchpoint.objects.get(subject="现场环境检查")
    assert visit.channel == "meeting" and visit.customer_id == project.customer_id
    engineer.goto(f"/customers/{project.customer_id}/")
    expect(engineer.locator("h1")).to_contain_text(project.customer.name)
    engineer.screenshot(path=screenshot_dir / "delivery-engineer-sees-customer.png", full_page=True)

    # 3. Installation is accepted by uploading the signed certificate.
    install = project.milestones.get(name="安装验收")
    pm.goto(f"/projects/{project.pk}/")
    certificate = pm.request.get(f"/projects/{project.pk}/milestones/{install.pk}/certificate.pdf")
    assert certificate.ok and certificate.body().startswith(b"%PDF")
    pm.locator("tr", has_text="安装验收").get_by_role("link", name=translated("Upload signed certificate")).click()
    signed = tmp_path / "安装验收证书-已签.pdf"
    signed.write_bytes(SIGNED_PDF)
    upload = pm.locator("section[aria-labelledby=upload-title]")
    upload.locator("input[name=file]").set_input_files(str(signed))
    button(upload, "Upload").click()
    expect(pm.locator("#main")).to_contain_text("安装验收证书-已签.pdf")
    install.refresh_from_db()
    assert install.is_accepted
    payment = contract.milestones.get(trigger_event="delivery_accepted")
    assert payment.status == MilestoneStatus.DUE

    # 4. Finance sees the invoice request.
    finance = signed_in("finance")
    expect(panel(finance, "invoice_requests")).to_contain_text(payment.name)
    expect(panel(finance, "invoice_requests")).to_contain_text(contract.number)

    # 5. The handover: the checklist is completed and signed by both.
    pm.goto(f"/projects/{project.pk}/")
    button(pm, "Start the handover").click()
    expect(pm).to_have_url(re.compile(rf"/projects/{project.pk}/handover/$"))
    notes = pm.locator("section[aria-labelledby=notes-title]")
    notes.locator("textarea[name=customisations]").fill("两融担保品折算率取客户参数表。")
    notes.locator("textarea[name=interfaces]").fill("上交所 FAST 行情；中国结算 DBF 清算文件。")
    notes.locator("textarea[name=known_risks]").fill("柜台升级窗口需提前两周通知。")
    notes.locator("input[name=no_open_defects]").check()
    button(notes, "Save").click()
    for system in Handover.objects.get(project=project).systems.all():
        pm.locator("section[aria-labelledby=systems-title] tbody tr", has_text=str(system.installed_item.module)).first \
            .get_by_role("button", name=translated("Remove")).click()  # fmt: skip
    systems = pm.locator("section[aria-labelledby=systems-title]")
    for module in (modules["fc-core"], modules["fc-margin"]):
        select_option_containing(systems.locator("select[name=system-installed_item]"), module.name)
        select_option_containing(systems.locator("select[name=system-version]"), "5.2")
        systems.locator("input[name=system-site]").fill("上海张江机房")
        systems.locator("input[name=system-go_live_on]").fill(today.isoformat())
        button(systems, "Add").click()
    training = pm.locator("section[aria-labelledby=training-title]")
    training.locator("input[name=training-topic]").fill("系统管理员培训")
    training.locator("input[name=training-trainees]").fill("张伟等 6 人")
    training.locator("input[name=training-trained_on]").fill((today - timedelta(days=2)).isoformat())
    button(training, "Add").click()
    for role in ("it", "operations"):
        contacts = pm.locator("section[aria-labelledby=keycontacts-title]")
        contacts.locator("select[name=contact-contact]").select_option(str(people.contact_a.pk))
        contacts.locator("select[name=contact-role]").select_option(role)
        button(contacts, "Add").click()
    checklist = pm.locator("section[aria-labelledby=checklist-title]")
    expect(checklist.locator(".bi-circle")).to_have_count(0)
    pm.screenshot(path=screenshot_dir / "delivery-handover-complete.png", full_page=True)
    button(checklist, "Submit for sign-off").click()
    button(pm.locator("section[aria-labelledby=checklist-title]"), "Sign the handover").click()
    expect(pm.locator("section[aria-labelledby=checklist-title]")).to_contain_text(people.project_manager.full_name)

    lead = signed_in("agentlead")
    lead.goto(f"/projects/{project.pk}/handover/")
    button(lead.locator("section[aria-labelledby=checklist-title]"), "Sign the handover").click()
    expect(lead.locator("section[aria-labelledby=checklist-title] .alert-success")).to_be_visible()
    handover = Handover.objects.get(project=project)
    project.refresh_from_db()
    assert handover.status == HandoverStatus.SIGNED and project.status == ProjectStatus.CLOSED
    lead.screenshot(path=screenshot_dir / "delivery-handover-signed.png", full_page=True)

    # 6. The maintenance centre owns the customer's service; the engineer's access has ended.
    lead.goto(f"/customers/{project.customer_id}/")
    expect(lead.locator("#service-owner")).to_contain_text(people.maintenance_lead.full_name)
    expect(lead.locator("#main")).to_contain_text(project.number)
    response = engineer.goto(f"/customers/{project.customer_id}/")
    assert response is not None and response.status == 404
    response = engineer.goto(f"/projects/{project.pk}/")
    assert response is not None and response.status == 404
    engineer.goto("/my/tasks/")
    expect(engineer.locator("#main")).not_to_contain_text(first.name)

