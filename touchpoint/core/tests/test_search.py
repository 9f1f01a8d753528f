import pytest

from touchpoint.core.search import index_tokens, query_terms, search_filter
from touchpoint.customers.models import Contact, Customer


def test_name_tokens_hold_bigrams_and_pinyin_from_every_character():
    tokens = index_tokens(names=["华泰证券"]).split()
    assert {"华泰", "泰证", "证券", "huataizhengquan", "zhengquan", "htzq", "zq"} <= set(tokens)


def test_query_of_three_chinese_characters_needs_both_bigrams():
    assert query_terms("华泰证") == ["华泰", "泰证"]


def test_email_query_keeps_the_address_as_one_term():
    assert query_terms("ZhangWei@htsc.example") == ["zhangweihtscexample"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["华泰", "泰证", "huatai", "ht", "HTZQ", "huataizhengquan"])
def test_customer_is_found_by_chinese_substring_and_pinyin(personas, query):
    found = search_filter(Customer.objects.all(), query)
    assert list(found) == [personas.customer_a]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["1381234", "345678", "zhangwei@htsc", "zhangwei@htsc.example", "张伟", "zw"])
def test_contact_is_found_by_phone_fragment_email_and_name(personas, query):
    found = search_filter(Contact.objects.all(), query)
    assert list(found) == [personas.contact_a]


@pytest.mark.django_db
def test_a_query_that_matches_nothing_returns_nothing(personas):
    assert not search_filter(Customer.objects.all(), "不存在的公司").exists()
