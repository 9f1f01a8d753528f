import pytest
from django.contrib.sessions.models import Session
from rest_framework.authtoken.models import Token

from touchpoint.core.models import Event
from touchpoint.org.services import user_deactivate


@pytest.mark.django_db
def test_deactivating_a_user_ends_their_sessions_and_tokens(client, personas):
    client.force_login(personas.sales_rep)
    token = Token.objects.create(user=personas.sales_rep)
    assert client.get("/").status_code == 200
    other = personas.other_rep
    from django.test import Client

    other_client = Client()
    other_client.force_login(other)
    user_deactivate(user=personas.sales_rep, by=personas.admin)
    assert not Token.objects.filter(pk=token.pk).exists()
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401
    assert other_client.get("/").status_code == 200
    assert Session.objects.count() == 1
    assert Event.objects.filter(verb="user.deactivated", target_id=personas.sales_rep.pk).exists()
