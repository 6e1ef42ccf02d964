"""A POST interrupted by sudo mode is never replayed; its safe fields come back in the form."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User
from accounts.sudo import RESUME_KEY, RESUME_MAX_CHARS, _keepable_fields
from tests.conftest import World
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
FORM = reverse("accounts:admin-user-create")
NEW_USER = {"username": "newcomer", "display_name": "New Comer", "email": "n@example.org", "password": "a passphrase 9"}


def kept_on(page: str) -> dict[str, object] | None:
    marker = '<script id="sudo-resume" type="application/json">'
    if marker not in page:
        return None
    return json.loads(page.split(marker, 1)[1].split("</script>", 1)[0])  # type: ignore[no-any-return]


def interrupted(client: Client) -> str:
    page = client.get(FORM).wsgi_request.build_absolute_uri()  # the address the browser shows (TLS in production)
    response = client.post(FORM, NEW_USER, headers={"Referer": page})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sudo"))
    return str(response["Location"])


def test_the_interrupted_form_comes_back_filled_and_is_not_replayed(world: World, login: Callable[..., Client]) -> None:
    client = login(world.admin)
    confirm = interrupted(client)
    assert not User.objects.filter(username="newcomer").exists()
    assert "return to the form with your entries" in client.get(confirm).content.decode()

    back = client.post(confirm, {"password": TEST_PASSWORD, "next": FORM})
    assert back["Location"] == FORM
    assert not User.objects.filter(username="newcomer").exists()

    page = client.get(FORM).content.decode()
    assert "Your entries are back in the form" in page
    assert kept_on(page) == {
        "action": FORM,
        "fields": {"username": ["newcomer"], "display_name": ["New Comer"], "email": ["n@example.org"]},
    }
    assert NEW_USER["password"] not in page and "sudo-resume.js" in page
    assert kept_on(client.get(FORM).content.decode()) is not None, "reading the page consumes nothing"

    assert client.post(FORM, NEW_USER)["Location"] == reverse("accounts:admin-users")
    assert User.objects.filter(username="newcomer").exists()
    assert RESUME_KEY not in client.session
    assert kept_on(client.get(FORM).content.decode()) is None


def test_passwords_never_rest_in_the_session(world: World, login: Callable[..., Client]) -> None:
    client = login(world.admin)
    interrupted(client)
    kept = client.session[RESUME_KEY]
    assert "password" not in kept["fields"] and "csrfmiddlewaretoken" not in kept["fields"]
    assert NEW_USER["password"] not in json.dumps(dict(client.session.items()))


def test_kept_entries_show_only_on_the_page_of_the_form(world: World, login: Callable[..., Client]) -> None:
    client = login(world.admin)
    interrupted(client)
    assert kept_on(client.get(reverse("accounts:admin-users")).content.decode()) is None


def test_fields_a_view_marks_sensitive_are_not_kept(rf: RequestFactory) -> None:
    request = rf.post("/cases/survivors/1/identity/", {"purpose": "Hearing", "legal_name": "Fictional Name"})
    request.sensitive_post_parameters = "__ALL__"  # type: ignore[attr-defined]
    assert _keepable_fields(request) == {}
    request.sensitive_post_parameters = ["legal_name"]  # type: ignore[attr-defined]
    assert _keepable_fields(request) == {"purpose": ["Hearing"]}
    request = rf.post("/x/", {"note": "x" * (RESUME_MAX_CHARS + 1)})
    assert _keepable_fields(request) == {}


def test_entries_expire(world: World, login: Callable[..., Client]) -> None:
    client = login(world.admin, sudo=True)
    session = client.session
    session[RESUME_KEY] = {"page": FORM, "action": FORM, "fields": {"username": ["x"]}, "until": 0}
    session.save()
    assert kept_on(client.get(FORM).content.decode()) is None
