from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from accounts import services
from tests.conftest import World
from tests.otp import ensure_totp_device, fresh_code


@pytest.mark.production_only
@pytest.mark.django_db(transaction=True)
def test_the_same_code_sent_twice_at_once_is_accepted_once(world: World) -> None:
    device = ensure_totp_device(world.member)
    code = fresh_code(device)
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def attempt() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(services._check_code(world.member, code) is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
