import pytest
from django.core.exceptions import ValidationError

from touchpoint.core.identifiers import uscc_check_character
from touchpoint.core.models import Event
from touchpoint.core.versioning import StaleEdit
from touchpoint.customers.models import AccountMember, Contact, ContactStatus, Customer
from touchpoint.customers.services import (
    contact_create,
    contact_duplicates,
    contact_merge,
    contact_update,
    customer_create,
    customer_delete,
    customer_reassign,
    customer_restore,
    customer_update,
)
from touchpoint.touchpoints.services import touchpoint_log


def code(body: str = "91440300MA5EXAMP") -> str:
    body = body.ljust(17, "0")[:17]
    return body + uscc_check_character(body)


@pytest.mark.django_db
def test_creating_a_customer_puts_the_owner_on_the_account_team(personas):
    customer = customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="云岭证券股份有限公司",
                               customer_type="securities", credit_code=code())  # fmt: skip
    assert AccountMember.objects.filter(customer=customer, user=personas.sales_rep).exists()
    assert "yunling" in customer.search_text
    assert customer.version == 1


@pytest.mark.django_db
def test_a_branch_is_a_structure_event_on_the_parent(personas):
    branch = customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="华泰证券南京中山路营业部",
                             customer_type="branch", parent=personas.customer_a)  # fmt: skip
    event = Event.objects.get(verb="customer.branch_added")
    assert event.customer_id == personas.customer_a.pk
    assert event.payload["branch"] == branch.name


@pytest.mark.django_db
def test_a_wrong_credit_code_is_a_field_error_and_nothing_is_saved(personas):
    before = Customer.objects.count()
    with pytest.raises(ValidationError) as caught:
        customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="测试", customer_type="other",
                        credit_code="91440300MA5EXAMP01")  # fmt: skip
    assert "credit_code" in caught.value.error_dict
    assert Customer.objects.count() == before


@pytest.mark.django_db
def test_a_duplicate_credit_code_is_refused(personas):
    with pytest.raises(ValidationError) as caught:
        customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="另一家", customer_type="other",
                        credit_code=personas.customer_a.credit_code)  # fmt: skip
    assert "credit_code" in caught.value.error_dict


@pytest.mark.django_db
def test_html_in_a_name_is_stored_as_text(personas):
    customer = customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="<script>alert(1)</script>证券",
                               customer_type="other")  # fmt: skip
    assert Customer.objects.get(pk=customer.pk).name == "<script>alert(1)</script>证券"


@pytest.mark.django_db
def test_update_records_old_and_new_and_bumps_the_version(personas):
    customer, diff = customer_update(customer=personas.customer_a, by=personas.sales_rep, expected_version=1,
                                     city="上海", status="active")  # fmt: skip
    assert customer.version == 2
    assert {c.field for c in diff} == {"city", "status"}
    event = Event.objects.filter(verb="customer.updated").latest("id")
    assert ("city", "南京", "上海") in [(c["field"], c["old"], c["new"]) for c in event.payload["changes"]]


@pytest.mark.django_db
def test_a_stale_edit_is_refused_with_what_changed_meanwhile(personas):
    customer_update(customer=personas.customer_a, by=personas.sales_manager, expected_version=1, city="苏州")
    with pytest.raises(StaleEdit) as caught:
        customer_update(customer=personas.customer_a, by=personas.sales_rep, expected_version=1, city="无锡")
    revision = caught.value.revisions[-1]
    assert revision.by == str(personas.sales_manager)
    assert [(c.field, c.old, c.new) for c in revision.changes] == [("city", "南京", "苏州")]
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.city == "苏州"
    assert personas.customer_a.version == 2


@pytest.mark.django_db
def test_a_no_op_edit_keeps_the_version(personas):
    customer, diff = customer_update(customer=personas.customer_a, by=personas.sales_rep, expected_version=1, city="南京")
    assert diff == []
    assert customer.version == 1


@pytest.mark.django_db
def test_a_customer_cannot_become_its_own_grandparent(personas):
    branch = customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="分公司", customer_type="branch",
                             parent=personas.customer_a)  # fmt: skip
    with pytest.raises(ValidationError):
        customer_update(customer=personas.customer_a, by=personas.sales_rep, expected_version=1, parent=branch)


@pytest.mark.django_db
def test_changing_the_parent_logs_both_sides(personas):
    customer_update(customer=personas.customer_b, by=personas.admin, expected_version=1, parent=personas.customer_a)
    verbs = set(Event.objects.values_list("verb", flat=True))
    assert {"customer.parent_changed", "customer.branch_added"} <= verbs


@pytest.mark.django_db
def test_reassigning_logs_a_handoff_with_reason_and_departments(personas):
    customer_reassign(customer=personas.customer_a, owner=personas.other_rep, by=personas.sales_manager, reason="区域调整")
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.owner == personas.other_rep
    event = Event.objects.get(verb="customer.reassigned")
    assert event.kind == "handoff"
    assert event.payload["from"] == str(personas.sales_rep)
    assert event.payload["to"] == str(personas.other_rep)
    assert event.payload["reason"] == "区域调整"
    assert event.payload["to_department"] == "销售部"
    assert not AccountMember.objects.filter(customer=personas.customer_a, user=personas.sales_rep).exists()


@pytest.mark.django_db
def test_reassigning_without_a_reason_is_refused(personas):
    with pytest.raises(ValidationError):
        customer_reassign(customer=personas.customer_a, owner=personas.other_rep, by=personas.admin, reason="  ")
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.owner == personas.sales_rep


@pytest.mark.django_db
def test_soft_delete_hides_and_restore_brings_back(personas):
    customer_delete(customer=personas.customer_a, by=personas.admin)
    assert not Customer.objects.filter(pk=personas.customer_a.pk).exists()
    assert Customer.all_objects.filter(pk=personas.customer_a.pk).exists()
    customer_restore(customer=Customer.all_objects.get(pk=personas.customer_a.pk), by=personas.admin)
    assert Customer.objects.filter(pk=personas.customer_a.pk).exists()


@pytest.mark.django_db
def test_a_customer_with_branches_cannot_be_deleted(personas):
    customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="分公司", customer_type="branch",
                    parent=personas.customer_a)  # fmt: skip
    with pytest.raises(ValidationError):
        customer_delete(customer=personas.customer_a, by=personas.admin)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "mobile", "email"),
    [("张伟", "", ""), ("张三", "13812345678", ""), ("李四", "", "ZhangWei@htsc.example")],
)
def test_duplicates_are_found_by_name_at_the_customer_mobile_or_email(personas, name, mobile, email):
    found = contact_duplicates(customer=personas.customer_a, name=name, mobile=mobile, email=email)
    assert found == [personas.contact_a]


@pytest.mark.django_db
def test_same_name_at_another_customer_is_not_a_duplicate(personas):
    assert contact_duplicates(customer=personas.customer_b, name="张伟") == []


@pytest.mark.django_db
def test_an_invalid_mobile_is_a_field_error(personas):
    with pytest.raises(ValidationError) as caught:
        contact_create(by=personas.sales_rep, customer=personas.customer_a, name="王五", mobile="1234")
    assert "mobile" in caught.value.error_dict


@pytest.mark.django_db
def test_a_contact_leaving_is_a_structure_event(personas):
    contact, _ = contact_update(contact=personas.contact_a, by=personas.sales_rep, expected_version=1,
                                status=ContactStatus.LEFT)  # fmt: skip
    assert contact.left_on is not None
    event = Event.objects.get(verb="contact.left")
    assert event.kind == "structure"
    assert event.customer_id == personas.customer_a.pk


@pytest.mark.django_db
def test_merging_contacts_keeps_every_touchpoint(personas):
    twin = contact_create(by=personas.sales_rep, customer=personas.customer_a, name="张伟", title="",
                          wechat_id="zw_wechat")  # fmt: skip
    touchpoint = touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="in",
                                subject="来电", contacts=[twin])  # fmt: skip
    both = touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="meeting", direction="out",
                          subject="拜访", contacts=[twin, personas.contact_a])  # fmt: skip
    keep = contact_merge(keep=personas.contact_a, duplicate=twin, by=personas.sales_rep)
    assert set(keep.touchpoints.all()) == {touchpoint, both}
    assert keep.wechat_id == "zw_wechat"
    assert not Contact.objects.filter(pk=twin.pk).exists()
    assert Event.objects.filter(verb="contact.merged").get().payload["moved"]["touchpoints"] == 2


@pytest.mark.django_db
def test_merging_customers_moves_everything_and_keeps_the_history_visible(personas):
    from touchpoint.customers.selectors import customer_timeline
    from touchpoint.customers.services import customer_merge
    from touchpoint.touchpoints.models import Touchpoint

    call = touchpoint_log(by=personas.other_rep, customer=personas.customer_b, channel="phone", direction="in",
                          subject="并购后系统整合")  # fmt: skip
    branch = customer_create(by=personas.other_rep, owner=personas.other_rep, name="中信建投北京营业部",
                             customer_type="branch", parent=personas.customer_b)  # fmt: skip
    keep = customer_merge(keep=personas.customer_a, duplicate=personas.customer_b, by=personas.admin, reason="两家公司合并")
    assert Touchpoint.objects.get(pk=call.pk).customer == keep
    assert Contact.objects.get(pk=personas.contact_b.pk).customer == keep
    assert Customer.objects.get(pk=branch.pk).parent == keep
    assert AccountMember.objects.filter(customer=keep, user=personas.other_rep).exists()
    gone = Customer.all_objects.get(pk=personas.customer_b.pk)
    assert gone.merged_into == keep
    assert gone.is_deleted
    subjects = [e.payload.get("subject") for e in customer_timeline(user=personas.admin, customer=keep)]
    assert "并购后系统整合" in subjects
    assert Event.objects.filter(verb="customer.merged", customer_id=keep.pk).exists()


@pytest.mark.django_db
def test_a_customer_cannot_be_merged_into_its_own_branch(personas):
    from touchpoint.customers.services import customer_merge

    branch = customer_create(by=personas.sales_rep, owner=personas.sales_rep, name="分公司", customer_type="branch",
                             parent=personas.customer_a)  # fmt: skip
    with pytest.raises(ValidationError):
        customer_merge(keep=branch, duplicate=personas.customer_a, by=personas.admin, reason="误操作")
    assert Customer.objects.filter(pk=personas.customer_a.pk).exists()


@pytest.mark.django_db
def test_a_merged_customer_is_not_offered_for_restore(personas):
    from touchpoint.customers.access import deleted_customers
    from touchpoint.customers.services import customer_merge

    customer_merge(keep=personas.customer_a, duplicate=personas.customer_b, by=personas.admin, reason="重复录入")
    assert not deleted_customers(personas.admin).exists()
