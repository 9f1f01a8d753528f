"""The maintenance centre journeys in Chromium.

1. A customer mails a fault to the support mailbox (a real dovecot); the worker makes it a request
   routed to L1. L1 transfers it to engineering, engineering sends it back; the bounce shows on the
   flow monitor and the lead is notified. L1 resolves it, and the customer rates it in the portal.
2. A portal user files a request and a complaint, and sees only their own customer's data.
"""

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.urls import reverse

from touchpoint.core.models import Notification
from touchpoint.org.models import Department, Team
from touchpoint.portal.models import PortalAccount
from touchpoint.service.mail.mailbox import mailbox_poll
from touchpoint.service.models import Complaint, Escalation, Handoff, Queue, QueueMember, ServiceRequest, Survey
from touchpoint.service.services.requests import request_create
from touchpoint.service.tests import mailservers
from touchpoint.testing import PASSWORD, make_portal_personas

from .pages import translated

pytestmark = [pytest.mark.browser, mailservers.needs_dovecot]

imap_server = mailservers.imap_server  # the real IMAP server, as a fixture here


def staff_the_desk(people) -> tuple[Queue, Queue]:
    """The agent in L1 under the maintenance lead, the engineer in engineering, the heads set."""
    l1, engineering = Queue.objects.get(code="l1"), Queue.objects.get(code="engineering")
    Queue.objects.filter(pk=l1.pk).update(lead=people.maintenance_lead)
    QueueMember.objects.create(queue=l1, user=people.maintenance_agent)
    QueueMember.objects.create(queue=engineering, user=people.engineer)
    maintenance = Department.objects.get(code="maintenance")
    team = Team.objects.create(name="维护一组", department=maintenance, lead=people.maintenance_lead)
    team.members.add(people.maintenance_agent)
    Department.objects.filter(pk=maintenance.pk).update(head=people.maintenance_lead)
    return l1, engineering


def portal_log_in(page, username: str) -> None:
    page.goto(reverse("portal:login"))
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/portal"))


def wait_for_status(page, sr: ServiceRequest, status: str) -> None:
    """Until the htmx post has gone through (the page swaps its workspace without navigating)."""
    for _ in range(50):
        if ServiceRequest.objects.filter(pk=sr.pk, status=status).exists():
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{sr.number} never became {status}")


def transfer(page, queue: Queue, reason: str) -> None:
    form = page.locator("#transfer-form")
    form.locator("select[name=queue]").select_option(str(queue.pk))
    form.locator("[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()


def test_a_mailed_fault_bounces_is_flagged_on_the_flow_monitor_then_resolved_and_rated_in_the_portal(
    people, signed_in, new_context, imap_server, screenshot_dir
):
    l1, engineering = staff_the_desk(people)
    portal = make_portal_personas(people)
    mail = EmailMessage()
    mail["From"] = f"张伟 <{people.contact_a.email}>"
    mail["To"] = imap_server.user
    mail["Subject"] = "开盘后行情刷新停止"
    mail["Message-ID"] = make_msgid(domain="htsc.example")
    mail.set_content("9:31 起交易终端行情不再刷新，重启后仍然如此，请尽快处理。")
    imap_server.append(mail.as_bytes())

    result = mailbox_poll(imap_server.config())

    assert result.fetched == 1
    sr = ServiceRequest.objects.get()
    assert (sr.customer, sr.contact, sr.channel, sr.queue) == (people.customer_a, people.contact_a, "email", l1)

    # L1 finds it in its queue and sends it to engineering.
    agent = signed_in(people.maintenance_agent.username)
    agent.goto(reverse("service:requests"))
    agent.get_by_role("row", name="开盘后行情刷新停止").get_by_role("link", name=sr.number).click()
    agent.wait_for_url(f"**{reverse('service:request_detail', args=[sr.pk])}")
    transfer(agent, engineering, "疑似行情网关问题，请研发排查")
    agent.locator("#queue-assignee").get_by_text(str(engineering)).wait_for()

    # Engineering sends it straight back: maintenance → engineering → maintenance is a bounce.
    engineer = signed_in(people.engineer.username)
    engineer.goto(reverse("service:request_detail", args=[sr.pk]))
    transfer(engineer, l1, "网关正常，请维护中心核对客户网络")
    engineer.wait_for_url(f"**{reverse('service:requests')}")  # he no longer sees it: back to his queue
    sr.refresh_from_db()
    assert sr.bounced and sr.queue == l1 and sr.hops >= 2
    assert Handoff.objects.filter(request=sr, kind="return").exists()
    assert Escalation.objects.filter(request=sr, reason="bounce", to_user=people.maintenance_lead).exists()
    assert Notification.objects.filter(recipient=people.maintenance_lead, read_at__isnull=True).exists()

    # The lead sees it at the top of the flow monitor.
    lead = signed_in(people.maintenance_lead.username)
    lead.goto(reverse("insights:flow"))
    attention = lead.locator("#flow-board")
    attention.get_by_text(sr.number).first.wait_for()
    lead.screenshot(path=str(screenshot_dir / "service-flow-monitor.png"), full_page=True)

    # L1 resolves it.
    agent.goto(reverse("service:request_detail", args=[sr.pk]))
    status = agent.locator("#status-form")
    status.locator("select[name=status]").select_option("in_progress")
    status.locator("button[type=submit]").click()
    wait_for_status(agent, sr, "in_progress")
    agent.reload()
    status = agent.locator("#status-form")
    status.locator("select[name=status]").select_option("resolved")
    status.locator("[name=resolution]").fill("客户侧防火墙拦截了行情组播，调整策略后恢复。")
    status.locator("button[type=submit]").click()
    agent.locator("#request-header").get_by_text("客户侧防火墙拦截了行情组播").wait_for()
    sr.refresh_from_db()
    assert sr.status == "resolved"
    survey = Survey.objects.get(request=sr)  # sent to the contact once the resolution was committed

    # The customer rates it in the portal.
    customer = new_context().new_page()
    portal_log_in(customer, portal.portal_a_admin.username)
    customer.goto(reverse("portal:request", args=[sr.pk]))
    customer.locator("input[name=score][value='5']").check()
    customer.locator("[name=comment]").fill("响应及时，感谢。")
    customer.get_by_role("button", name=translated("Send the rating")).click()
    customer.get_by_text("5").first.wait_for()
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_by) == (5, "响应及时，感谢。", portal.portal_a_admin)
    customer.screenshot(path=str(screenshot_dir / "service-portal-rated.png"), full_page=True)


def test_a_portal_user_files_a_request_and_a_complaint_and_sees_only_their_own_customer(
    people, new_context, screenshot_dir
):
    staff_the_desk(people)
    portal = make_portal_personas(people)
    other = request_create(by=people.maintenance_agent, customer=people.customer_b, contact=people.contact_b,
                           subject="中信建投的机密工单", channel="phone")  # fmt: skip
    assert PortalAccount.objects.get(user=portal.portal_a).customer == people.customer_a

    page = new_context("en").new_page()
    portal_log_in(page, portal.portal_a.username)
    page.goto(reverse("portal:request_new"))
    page.locator("[name=subject]").fill("Order entry freezes at 9:30")
    page.locator("[name=description]").fill("Since this morning the order window freezes for about ten seconds.")
    page.get_by_role("button", name=translated("Send the request", "en")).click()
    page.wait_for_url(lambda url: "/portal/requests/" in url and not url.endswith("/new/"))
    filed = ServiceRequest.objects.get(subject="Order entry freezes at 9:30")
    assert (filed.customer, filed.channel) == (people.customer_a, "portal")

    page.goto(reverse("portal:complaint_new"))
    page.locator("[name=subject]").fill("Slow answers on the hotline")
    page.locator("[name=description]").fill("We waited two days for a first answer last week.")
    page.get_by_role("button", name=translated("File the complaint", "en")).click()
    page.wait_for_url(lambda url: "/portal/complaints/" in url and not url.endswith("/new/"))
    complaint = Complaint.objects.get(subject="Slow answers on the hotline")
    assert complaint.customer == people.customer_a
    assert complaint.owner != portal.portal_a  # a customer never owns the complaint about them

    page.goto(reverse("portal:requests"))
    page.get_by_text("Order entry freezes at 9:30").wait_for()
    assert other.subject not in page.content()
    assert people.customer_b.name not in page.content()
    page.screenshot(path=str(screenshot_dir / "portal-requests-en.png"), full_page=True)
    response = page.goto(reverse("portal:request", args=[other.pk]))
    assert response is not None and response.status == 404
    assert other.subject not in page.content()
    staff = page.goto(reverse("service:request_detail", args=[other.pk]))
    assert staff is not None
    assert "/portal/" in page.url and other.subject not in page.content()
