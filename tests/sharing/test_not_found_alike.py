"""An object the caller may not see answers exactly like one that does not exist: same status, same
bytes, same headers, for each kind of object, on web pages, form posts and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.sharing.conftest import ShareWorld
from tests.sharing.test_access_matrix import shared  # noqa: F401  (the shared case and its objects)

MISSING = 987_654_321

# (name, method, URL name, the ids it takes from the shared case)
PROBES = [
    ("case page", "get", "cases:detail", ("case_id",)),
    ("case (API)", "get", "api-case", ("case_id",)),
    ("item page", "get", "evidence:item", ("item_id",)),
    ("item (API)", "get", "api-evidence-item", ("item_id",)),
    ("item download", "post", "evidence:download", ("item_id",)),
    ("survivor page", "get", "cases:survivor", ("survivor_id",)),
    ("survivor (API)", "get", "api-survivor", ("survivor_id",)),
    ("MHPSS note", "get", "cases:note", ("note_id",)),
    ("grant revocation", "post", "sharing:revoke", ("grant_id",)),
    ("second approval", "post", "sharing:decide", ("approval_id",)),
    ("custody transfer", "post", "custody:accept", ("item_id", "transfer_id")),
    ("redaction job", "get", "redaction:job", ("job_id",)),
]
# Headers that belong to the moment or the session rather than to the answer.
_PER_REQUEST = {"set-cookie", "expires", "date"}


def _answer(client: Client, method: str, url_name: str, args: list[int]) -> tuple[int, bytes, dict[str, str]]:
    response = getattr(client, method)(reverse(url_name, args=args), headers={"X-Forwarded-Proto": "https"})
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in _PER_REQUEST}
    return response.status_code, response.content, headers


@pytest.mark.parametrize("who", ["outsider", "foreign lawyer with a grant"])
def test_hidden_objects_answer_like_missing_ones(
    sw: ShareWorld,
    shared: dict[str, Any],  # noqa: F811
    login: Any,
    who: str,
) -> None:
    user = sw.world.outsider if who == "outsider" else sw.world.other_member
    client = login(user)
    for name, method, url_name, keys in PROBES:
        if who != "outsider" and url_name in {"cases:detail", "api-case", "evidence:item", "api-evidence-item"}:
            continue  # the grant shows the case and its items' metadata
        real = [shared[k] for k in keys]
        hidden = _answer(client, method, url_name, real)
        assert hidden[0] == 404, (name, hidden[0])
        # Everything missing, and (a transfer of a real item) only the last object missing.
        for missing in ([MISSING] * len(real), [*real[:-1], MISSING]):
            assert _answer(client, method, url_name, missing) == hidden, (name, missing)


def test_the_probes_reach_objects_that_exist(sw: ShareWorld, shared: dict[str, Any], login: Any) -> None:  # noqa: F811
    """The same pages answer the case's own people, so the 404s above are about visibility, not bad ids."""
    reached = set()
    for who in ("member", "mhpss"):
        client = login(getattr(sw.world, who), Client(headers={"X-Forwarded-Proto": "https"}))
        for name, method, url_name, keys in PROBES:
            if method == "get" and client.get(reverse(url_name, args=[shared[k] for k in keys])).status_code == 200:
                reached.add(name)
    assert reached == {name for name, method, _u, _k in PROBES if method == "get"}
