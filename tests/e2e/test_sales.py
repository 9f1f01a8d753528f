"""The two sales journeys of issue 3: lead → requirements → recommendation → quote → approval → PDF →
contract with milestones, and dragging an opportunity across the kanban board."""

import re
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone, translation
from playwright.sync_api import expect

from touchpoint.core.models import Event
from touchpoint.sales.models import (
    ApprovalStatus,
    Contract,
    ContractStatus,
    InstalledItem,
    Lead,
    LeadStatus,
    LineKind,
    MilestoneStatus,
    MilestoneTemplate,
    Module,
    ModulePrice,
    Opportunity,
    Priority,
    Product,
    ProductVersion,
    Quote,
    QuoteStatus,
    RequirementArea,
    Stage,
)
from touchpoint.sales.services.opportunities import opportunity_create

from .pages import translated

PDFTOTEXT = "/usr/bin/pdftotext"
COMPANY = "海川证券股份有限公司"
CONTACT = "林海川"
OPPORTUNITY = "海川证券两融与风控系统建设"
MODULES = [  # code, name, perpetual list price, requirement area it covers
    ("ht-core", "集中交易核心", "800000", "order_entry"),
    ("ht-risk", "实时风控", "300000", "risk_control"),
    ("ht-margin", "融资融券", "500000", "margin_trading"),
    ("ht-mobile", "移动交易", "200000", "mobile"),
]
REQUIREMENTS = [  # area, priority, description, coverage, custom effort (person-days)
    ("order_entry", Priority.MUST, "集中交易支持沪深北三市委托与撤单", "standard", ""),
    ("risk_control", Priority.MUST, "事前风控：单笔委托金额与持仓集中度控制", "configurable", "5"),
    ("margin_trading", Priority.SHOULD, "融资融券担保品管理与平仓线预警", "standard", ""),
    ("mobile", Priority.COULD, "手机端委托与行情查看", "standard", ""),
    ("compliance", Priority.SHOULD, "监管报送：反洗钱可疑交易报表", "custom", "10"),
]
MILESTONES = [("签约款", "30"), ("到货验收款", "40"), ("上线款", "20"), ("质保金", "10")]


def zh(label: Any) -> str:
    """A model choice's label (lazy, maybe with a context) as the zh-Hans UI shows it."""
    with translation.override("zh-hans"):
        return str(label)


def make_catalogue() -> dict[str, Module]:
    """One product with a module per requirement area the journey enters (compliance stays uncovered)."""
    product = Product.objects.create(code="hc-trade", name="网上交易系统", name_en="Online trading",
                                     day_rate=Decimal("3000"), maintenance_percent=Decimal("15"))  # fmt: skip
    ProductVersion.objects.create(product=product, number="5.2", released_on=date(2026, 3, 1))
    modules = {}
    for code, name, price, area in MODULES:
        module = Module.objects.create(product=product, code=code, name=name, name_en=code)
        module.areas.add(RequirementArea.objects.get(code=area))
        ModulePrice.objects.create(module=module, licence_type="perpetual", list_price=Decimal(price),
                                   valid_from=date(2025, 1, 1))  # fmt: skip
        modules[code] = module
    return modules


def click_button(scope: Any, message: str) -> None:
    """Click the button whose visible text is the translation of `message`."""
    scope.get_by_role("button", name=translated(message), exact=True).click()


@pytest.mark.browser
def test_rep_takes_a_lead_to_a_signed_contract_with_an_approved_discount(people, signed_in, screenshot_dir, tmp_path):
    modules = make_catalogue()
    today = timezone.localdate()
    page = signed_in("rep")

    # 1. The lead, entered through the form, then qualified into a customer, a contact and an opportunity.
    page.goto("/sales/leads/new/")
    form = page.locator("#main form[method=post]")
    form.locator("[name=company_name]").fill(COMPANY)
    form.locator("[name=province]").select_option(label="浙江")
    form.locator("[name=city]").fill("杭州")
    form.locator("[name=contact_name]").fill(CONTACT)
    form.locator("[name=contact_title]").fill("信息技术部总监")
    form.locator("[name=phone]").fill("13957112345")
    form.locator("[name=email]").fill("linhc@haichuan.example")
    form.locator("[name=interest]").fill("两融系统升级与实时风控\n计划明年一季度上线")
    click_button(form, "Save")
    expect(page).to_have_url(re.compile(r"/sales/leads/\d+/$"))
    lead = Lead.objects.get(company_name=COMPANY)
    assert (lead.owner, lead.status) == (people.sales_rep, LeadStatus.NEW)

    qualify = page.locator("#qualify form")
    expect(qualify.locator("[name=customer][value=new]")).to_be_checked()
    expect(qualify.locator("[name=contact][value=new]")).to_be_checked()
    qualify.locator("[name=title]").fill(OPPORTUNITY)
    qualify.locator("[name=amount]").fill("1800000")
    qualify.locator("[name=close_date]").fill((today + timedelta(days=120)).isoformat())
    click_button(qualify, "Qualify")
    expect(page.locator("#outcome-title")).to_contain_text(translated("Qualified"))
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED
    customer, contact, opportunity = lead.customer, lead.contact, lead.opportunity
    assert (customer.name, contact.name, opportunity.title) == (COMPANY, CONTACT, OPPORTUNITY)
    assert (opportunity.owner, opportunity.amount) == (people.sales_rep, Decimal("1800000"))

    # 2. Five requirements through the requirement form of the opportunity page.
    page.get_by_role("link", name=OPPORTUNITY).click()
    expect(page).to_have_url(re.compile(rf"/sales/opportunities/{opportunity.pk}/$"))
    section = page.locator("#requirements")
    for count, (area, priority, description, coverage, effort) in enumerate(REQUIREMENTS, start=1):
        section.get_by_role("button", name=translated("Add requirement")).click()
        entry = page.locator("#requirement-form-slot form")
        area_name = RequirementArea.objects.get(code=area).name
        entry.locator("[name=area]").select_option(label=area_name)
        entry.locator("[name=priority]").select_option(value=priority)
        entry.locator("[name=asked_by]").select_option(label=CONTACT)
        entry.locator("[name=description]").fill(description)
        entry.locator("[name=coverage]").select_option(value=coverage)
        if effort:
            entry.locator("[name=custom_effort_days]").fill(effort)
        click_button(entry, "Save")
        expect(page.locator("#requirements tbody tr[id^=requirement-]")).to_have_count(count)
        expect(page.locator("#requirements tbody")).to_contain_text(description)
    assert opportunity.requirements.count() == 5
    assert opportunity.requirements.filter(priority=Priority.MUST).count() == 2

    # 3. The recommendation: the four covering modules with coverage; one click builds the draft quote.
    page.get_by_role("link", name=translated("Recommendation"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/sales/opportunities/{opportunity.pk}/recommendation/$"))
    expect(page.locator("h1")).to_have_text(translated("Recommended modules"))
    bundle = page.locator("section[aria-labelledby=bundle-title]")
    for _code, name, _price, _area in MODULES:
        expect(bundle.locator("tbody")).to_contain_text(name)
    coverage = page.locator(".card-body", has_text=translated("Coverage, weighted by priority")).locator(".fs-4")
    expect(coverage).to_have_text(re.compile(r"^\d+(\.\d+)?%$"))
    assert float(coverage.inner_text().rstrip("%")) > 50
    expect(page.locator("section[aria-labelledby=ranking-title] tbody tr")).to_have_count(len(MODULES))
    expect(page.locator("section", has=page.locator("#uncovered-title"))).to_contain_text(REQUIREMENTS[4][2][:20])
    click_button(bundle, "Build a draft quote from this bundle")
    expect(page).to_have_url(re.compile(r"/sales/quotes/\d+/$"))
    quote = Quote.objects.get(opportunity=opportunity)
    assert page.url.endswith(f"/sales/quotes/{quote.pk}/")
    assert quote.status == QuoteStatus.DRAFT
    assert {line.module_id for line in quote.lines.filter(kind=LineKind.LICENCE)} == {m.pk for m in modules.values()}
    assert quote.lines.filter(kind=LineKind.SERVICE, quantity=Decimal("15")).exists()
    assert quote.lines.filter(kind=LineKind.MAINTENANCE).exists()

    # 4. 20% off the trading core, over the rep's 10% limit: change its line in place.
    lines = page.locator("section[aria-labelledby=lines-title] tbody tr")
    core_row = lines.filter(has_text="集中交易核心")
    expect(core_row).to_have_count(1)
    core_row.locator("summary", has_text=translated("Change")).click()
    edit = core_row.locator("form[action*='/lines/']").first
    edit.locator("[name=discount_percent]").fill("20")
    click_button(edit, "Save line")
    core_row = lines.filter(has_text="集中交易核心")
    expect(core_row).to_have_count(1)
    expect(core_row).to_contain_text("20%")
    core_line = quote.lines.get(module=modules["ht-core"])
    assert (core_line.discount_percent, core_line.net_amount) == (Decimal("20"), Decimal("640000.00"))

    submit = page.locator("form[action$='/submit/']")
    expect(submit).to_contain_text("10%")
    submit.locator("[name=reason]").fill("竞争对手报价低，客户为两融试点券商")
    click_button(submit, "Submit")
    pending_label = zh(QuoteStatus.PENDING_APPROVAL.label)
    expect(page.locator("h1 .badge")).to_have_text(pending_label)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING_APPROVAL
    approval = quote.approvals.get()
    assert (approval.status, approval.discount_percent, approval.limit_percent) == (
        ApprovalStatus.PENDING, Decimal("20"), Decimal("10"),
    )  # fmt: skip

    # 5. The manager sees the request on the workspace and approves it on the quote.
    manager = signed_in("salesmgr")
    panel = manager.locator("section[aria-labelledby=panel-approvals_waiting]")
    expect(panel).to_contain_text(quote.number)
    expect(panel).to_contain_text(COMPANY)
    panel.locator(f"a[href='/sales/quotes/{quote.pk}/']").click()
    expect(manager).to_have_url(re.compile(rf"/sales/quotes/{quote.pk}/$"))
    decide = manager.locator("form[action$='/decide/']")
    decide.locator("[name=comment]").fill("同意，试点客户")
    click_button(decide, "Approve")
    expect(manager.locator("h1 .badge")).to_have_text(zh(QuoteStatus.APPROVED.label))
    quote.refresh_from_db()
    approval.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED
    assert (approval.status, approval.decided_by, approval.comment) == (
        ApprovalStatus.APPROVED, people.sales_manager, "同意，试点客户",
    )  # fmt: skip

    # 6. The rep downloads the PDF; pdftotext finds the Chinese title and the customer.
    page.reload()
    expect(page.locator("h1 .badge")).to_have_text(zh(QuoteStatus.APPROVED.label))
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("link", name=translated("Download PDF")).click()
    download = download_info.value
    assert download.suggested_filename == f"{quote.number}-v1.pdf"
    pdf = tmp_path / "quote.pdf"
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    pdf_text_checked = shutil.which(PDFTOTEXT) is not None
    if pdf_text_checked:
        text = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True,
                              timeout=30).stdout.decode()  # fmt: skip
        assert "报价单" in text
        assert COMPANY in text

    # 7. Email it to the contact, record the acceptance, make the contract and confirm it.
    send = page.locator("form[action$='/send/']")
    send.locator("[name=contact]").select_option(label=CONTACT)
    expect(send.locator("[name=subject]")).not_to_be_empty()
    click_button(send, "Email the PDF")
    expect(page.locator("h1 .badge")).to_have_text(zh(QuoteStatus.SENT.label))
    sent = [message for message in mail.outbox if contact.email in message.to]
    assert len(sent) == 1
    assert [name for name, _content, _kind in sent[0].attachments] == [f"{quote.number}-v1.pdf"]

    click_button(page.locator("form[action$='/accept/']"), "Accepted")
    expect(page.locator("h1 .badge")).to_have_text(zh(QuoteStatus.ACCEPTED.label))
    page.get_by_role("link", name=translated("Make the contract")).click()
    expect(page).to_have_url(re.compile(rf"/sales/quotes/{quote.pk}/contract/new/$"))
    draft = page.locator("#main form[method=post]")
    expect(draft.locator("[name=title]")).to_have_value(OPPORTUNITY)
    draft.locator("[name=signed_on]").fill(today.isoformat())
    draft.locator("[name=signed_by_contact]").select_option(label=CONTACT)
    default_template = MilestoneTemplate.objects.get(is_default=True)
    expect(draft.locator("[name=template]")).to_have_value(str(default_template.pk))
    click_button(draft, "Draft the contract")
    expect(page).to_have_url(re.compile(r"/sales/contracts/\d+/$"))
    click_button(page.locator("form[action$='/confirm/']"), "Confirm the signed contract")
    expect(page.locator("h1 .badge")).to_have_text(zh(ContractStatus.ACTIVE.label))

    rows = page.locator("section[aria-labelledby=milestones-title] tbody tr")
    expect(rows).to_have_count(4)
    for row, (name, percent) in zip(rows.all(), MILESTONES, strict=True):
        expect(row.locator("td").nth(0)).to_have_text(name)
        expect(row.locator("td").nth(1)).to_have_text(f"{percent}%")
    expect(rows.nth(0).locator(".badge")).to_have_text(zh(MilestoneStatus.DUE.label))
    for row in rows.all()[1:]:
        expect(row.locator(".badge")).to_have_text(zh(MilestoneStatus.PENDING.label))
    installed = page.locator("section[aria-labelledby=installed-title]")
    for _code, name, _price, _area in MODULES:
        expect(installed).to_contain_text(name)
    page.screenshot(path=screenshot_dir / "sales-contract-active.png", full_page=True)

    contract = Contract.objects.get(quote=quote)
    assert page.url.endswith(f"/sales/contracts/{contract.pk}/")
    assert (contract.status, contract.customer, contract.signed_on, contract.signed_by_contact) == (
        ContractStatus.ACTIVE, customer, today, contact,
    )  # fmt: skip
    quote.refresh_from_db()
    assert contract.amount == quote.grand_total
    milestones = list(contract.milestones.order_by("order"))
    assert [(m.name, m.percent) for m in milestones] == [(name, Decimal(p)) for name, p in MILESTONES]
    assert sum(m.percent for m in milestones) == 100
    assert sum(m.amount for m in milestones) == contract.amount
    assert [m.status for m in milestones] == [MilestoneStatus.DUE] + [MilestoneStatus.PENDING] * 3
    items = InstalledItem.objects.filter(contract=contract, customer=customer)
    assert {item.module_id for item in items} == {m.pk for m in modules.values()}
    assert {item.version.number for item in items} == {"5.2"}
    verbs = set(Event.objects.filter(customer_id=customer.pk).values_list("verb", flat=True))
    assert {"lead.qualified", "quote.created", "quote.submitted", "quote.approved", "quote.sent", "quote.accepted",
            "contract.created", "contract.activated", "contract.milestone_due"} <= verbs  # fmt: skip
    if not pdf_text_checked:
        pytest.skip(f"{PDFTOTEXT} not found (apt-get install poppler-utils): the PDF's text was not checked")


def drag(card: Any, column: Any) -> None:
    """Drag a board card onto a column the way a person does with the mouse."""
    card.drag_to(column.locator(".board-column-header"))


@pytest.mark.browser
def test_rep_drags_an_opportunity_across_the_kanban_board(people, signed_in, screenshot_dir):
    opportunity = opportunity_create(
        by=people.sales_rep, customer=people.customer_a, title="看板拖拽测试商机", owner=people.sales_rep,
        close_date=timezone.localdate() + timedelta(days=60), amount=Decimal("900000"),
    )  # fmt: skip
    stages = {stage.code: stage for stage in Stage.objects.filter(pipeline=opportunity.pipeline)}
    assert opportunity.stage == stages["lead_confirm"]
    page = signed_in("rep")
    page.goto("/sales/opportunities/board/")

    def column(code: str) -> Any:
        return page.locator(f"#board section.board-column[data-stage='{stages[code].pk}']")

    def card_in(code: str) -> Any:
        return column(code).locator(f"li.board-card[data-id='{opportunity.pk}']")

    expect(column("lead_confirm").locator("h2")).to_contain_text("线索确认")
    expect(card_in("lead_confirm")).to_have_count(1)

    # An allowed move: 线索确认 → 需求调研; the board comes back from the server with the card moved.
    with page.expect_response(lambda r: r.url.endswith(f"/sales/opportunities/{opportunity.pk}/move/")) as answer:
        drag(card_in("lead_confirm"), column("discovery"))
    assert answer.value.status == 200
    expect(card_in("discovery")).to_have_count(1)
    expect(card_in("lead_confirm")).to_have_count(0)
    expect(page.locator("#board-messages .alert")).to_have_count(0)
    opportunity.refresh_from_db()
    assert opportunity.stage == stages["discovery"]
    version = opportunity.version

    # A refused move: 需求调研 → 赢单; the message shows, the card stays, nothing changes.
    with page.expect_response(lambda r: r.url.endswith(f"/sales/opportunities/{opportunity.pk}/move/")) as answer:
        drag(card_in("discovery"), column("won"))
    assert answer.value.status == 400
    message = page.locator("#board-messages .alert-danger")
    expect(message).to_be_visible()
    expect(message).to_contain_text("需求调研")
    expect(message).to_contain_text("赢单")
    expect(card_in("discovery")).to_have_count(1)
    expect(card_in("discovery")).not_to_have_class(re.compile(r"board-card-moving"))
    expect(card_in("won")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "sales-board-refused-move.png", full_page=True)
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.version) == (stages["discovery"], version)
    assert Opportunity.objects.filter(stage=stages["won"]).count() == 0
