"""The requirement section of the opportunity page: htmx fragments to add, edit, remove, reorder and reuse."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from touchpoint.customers.models import CustomerType
from touchpoint.customers.services import customer_create
from touchpoint.sales.models import Opportunity, Requirement, RequirementArea, RequirementTemplate, RequirementTemplateItem
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.sales.services.requirements import requirement_add

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deal(personas) -> Opportunity:
    return opportunity_create(by=personas.sales_rep, customer=personas.customer_a, title="两融系统", owner=personas.sales_rep,
                              close_date=date(2027, 6, 30), amount=Decimal("1600000"))  # fmt: skip


def area(code="margin_trading") -> RequirementArea:
    return RequirementArea.objects.get(code=code)


@pytest.mark.django_db
def test_add_form_then_add_answers_the_section_with_totals(client, personas, deal):
    client.force_login(personas.sales_rep)
    url = reverse("sales:requirement_new", args=[deal.pk])
    form = client.get(url, **HX)
    assert form.status_code == 200 and 'name="description"' in form.content.decode()
    response = client.post(url, {"area": area().pk, "description": "担保品管理", "priority": "must",
                                 "asked_by": personas.contact_a.pk, "coverage": "custom",
                                 "custom_effort_days": "3"}, **HX)  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="requirements"' in html and "担保品管理" in html
    assert response.context["totals"]["must"] == 1
    assert Requirement.objects.get(opportunity=deal).asked_by == personas.contact_a


@pytest.mark.django_db
def test_bad_input_answers_400_with_field_errors_in_the_form_slot(client, personas, deal):
    client.force_login(personas.sales_rep)
    response = client.post(reverse("sales:requirement_new", args=[deal.pk]),
                           {"area": area().pk, "description": "x", "priority": "must",
                            "asked_by": personas.contact_b.pk, "custom_effort_days": "-2"}, **HX)  # fmt: skip
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#requirement-form-slot"
    form = response.context["form"]
    assert {"custom_effort_days", "asked_by"} <= set(form.errors)
    assert not Requirement.objects.exists()


@pytest.mark.django_db
def test_edit_reorder_and_delete(client, personas, deal):
    first = requirement_add(opportunity=deal, by=personas.sales_rep, area=area(), description="一")
    second = requirement_add(opportunity=deal, by=personas.sales_rep, area=area(), description="二")
    client.force_login(personas.sales_rep)
    edit = reverse("sales:requirement_edit", args=[first.pk])
    assert client.get(edit, **HX).status_code == 200
    response = client.post(edit, {"area": area("options").pk, "description": "一（改）", "priority": "could",
                                  "custom_effort_days": "0"}, **HX)  # fmt: skip
    assert response.status_code == 200
    first.refresh_from_db()
    assert (first.description, first.area.code, first.priority) == ("一（改）", "options", "could")
    client.post(reverse("sales:requirement_move", args=[second.pk]), {"direction": "up"}, **HX)
    assert list(Requirement.objects.filter(opportunity=deal).values_list("pk", flat=True)) == [second.pk, first.pk]
    client.post(reverse("sales:requirement_delete", args=[first.pk]), **HX)
    assert list(Requirement.objects.filter(opportunity=deal)) == [second]


@pytest.mark.django_db
def test_reuse_from_a_template_and_from_a_similar_customers_deal(client, personas, deal):
    template = RequirementTemplate.objects.create(name="两融标准")
    RequirementTemplateItem.objects.create(template=template, area=area(), description="授信管理", priority="must")
    similar_customer = customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="国泰君安证券股份有限公司",
                                       customer_type=CustomerType.SECURITIES, province="上海", city="上海")  # fmt: skip
    past = opportunity_create(by=personas.sales_rep, customer=similar_customer, title="国泰两融", owner=personas.sales_rep,
                              close_date=date(2025, 6, 30))  # fmt: skip
    requirement_add(opportunity=past, by=personas.sales_rep, area=area(), description="平仓预警", priority="must")
    hidden = opportunity_create(by=personas.other_rep, customer=personas.customer_b, title="中信两融",
                                owner=personas.other_rep, close_date=date(2025, 6, 30))  # fmt: skip
    requirement_add(opportunity=hidden, by=personas.other_rep, area=area(), description="不可见的需求")
    client.force_login(personas.sales_rep)
    url = reverse("sales:requirement_reuse", args=[deal.pk])
    page = client.get(url, **HX)
    sources = list(page.context["copy_form"].fields["source"].queryset)
    assert sources == [past]  # same type; the other rep's deal is not visible to this rep
    assert client.post(url, {"kind": "template", "template": template.pk}, **HX).status_code == 200
    assert client.post(url, {"kind": "copy", "source": past.pk}, **HX).status_code == 200
    refused = client.post(url, {"kind": "copy", "source": hidden.pk}, **HX)
    assert refused.status_code == 400
    descriptions = list(Requirement.objects.filter(opportunity=deal).values_list("description", flat=True))
    assert descriptions == ["授信管理", "平仓预警"]


@pytest.mark.django_db
def test_someone_who_may_only_view_gets_403_and_nothing_changes(client, personas, deal):
    item = requirement_add(opportunity=deal, by=personas.sales_rep, area=area(), description="一")
    client.force_login(personas.finance)  # reads every opportunity, edits none
    assert client.get(reverse("sales:requirements", args=[deal.pk]), **HX).status_code == 200
    assert client.post(reverse("sales:requirement_new", args=[deal.pk]),
                       {"area": area().pk, "description": "越权", "priority": "must"}, **HX).status_code == 403  # fmt: skip
    assert client.post(reverse("sales:requirement_delete", args=[item.pk]), **HX).status_code == 403
    assert list(Requirement.objects.values_list("description", flat=True)) == ["一"]


@pytest.mark.django_db
def test_someone_who_cannot_see_the_opportunity_gets_404(client, personas, deal):
    item = requirement_add(opportunity=deal, by=personas.sales_rep, area=area(), description="一")
    client.force_login(personas.other_rep)
    assert client.get(reverse("sales:requirement_new", args=[deal.pk]), **HX).status_code == 404
    assert client.post(reverse("sales:requirement_edit", args=[item.pk]), {"description": "x"}, **HX).status_code == 404


@pytest.mark.django_db
def test_section_query_count_does_not_grow_with_items(client, personas, deal, django_assert_num_queries):
    requirement_add(opportunity=deal, by=personas.sales_rep, area=area(), description="一")
    client.force_login(personas.sales_rep)
    url = reverse("sales:requirements", args=[deal.pk])
    client.get(url, **HX)
    with django_assert_num_queries(7) as first:
        client.get(url, **HX)
    for index in range(10):
        requirement_add(opportunity=deal, by=personas.sales_rep, area=area("options"), description=f"需求{index}",
                        asked_by=personas.contact_a)  # fmt: skip
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url, **HX)
