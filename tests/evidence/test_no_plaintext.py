"""A file with a unique marker goes in; afterwards the marker is nowhere at rest.

Runs a separate process of the embedded profile with its own file-backed SQLite database, key
files, temporary directory and log file, uploads through the real views (multipart and resumable),
then scans every byte it left behind.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

SCRIPT = r"""
import base64, os, sys, logging
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from accounts.models import User
from cases.models import Case
from teams.models import Jurisdiction, Membership, Organisation, Role, Team
from evidence.models import EvidenceItem

marker = sys.argv[1].encode()
call_command("migrate", verbosity=0)
logging.getLogger().setLevel(logging.DEBUG)
car = Jurisdiction.objects.create(country="CF")
org = Organisation.objects.create(name="Host Counsel", slug="host-counsel", jurisdiction=car)
team = Team.objects.create(organisation=org, jurisdiction=car, name="Bangui", slug="bangui")
user = User.objects.create_user(username="member", password="correct horse battery staple 42")
Membership.objects.create(user=user, team=team, role=Role.LAWYER)
case = Case.objects.create(reference="CAF-MINUSCA-0001", organisation=org, host_jurisdiction=car)
case.teams.set([team])
client = Client(headers={"X-Forwarded-Proto": "https"})
client.force_login(user)
from django_otp import DEVICE_ID_SESSION_KEY
from tests.otp import ensure_totp_device
session = client.session
session[DEVICE_ID_SESSION_KEY] = ensure_totp_device(user).persistent_id
session.save()
body = (b"statement " + marker + b" ") * 200_000
from django.core.files.uploadedfile import SimpleUploadedFile
name = marker.decode() + ".txt"
form = {"sensitivity": "high", "file": SimpleUploadedFile(name, body)}
r = client.post(reverse("evidence:upload", args=[case.pk]), form)
assert r.status_code == 302 and "/evidence/items/" in r["Location"], (r.status_code, r.get("Location"))
meta = "filename " + base64.b64encode(name.encode()).decode()
tus = {"Tus-Resumable": "1.0.0"}
created = {**tus, "Upload-Length": str(len(body) + 1), "Upload-Metadata": meta}
r = client.post(reverse("evidence:tus", args=[case.pk]), headers=created)
assert r.status_code == 201, (r.status_code, r.content[:300])
url = r["Location"]
half = len(body) // 2
octets = "application/offset+octet-stream"
r = client.generic("PATCH", url, body[:half], content_type=octets, headers={**tus, "Upload-Offset": "0"})
assert r.status_code == 204, (r.status_code, r.content[:300])
offset = int(r["Upload-Offset"])
rest = (body + b"!")[offset:]
r = client.generic("PATCH", url, rest, content_type=octets, headers={**tus, "Upload-Offset": str(offset)})
assert r.status_code == 204, r.status_code
assert EvidenceItem.objects.count() == 2
item = EvidenceItem.objects.order_by("pk").first()
page = client.get(reverse("evidence:item", args=[item.pk]))
assert marker not in page.content
from evidence.retrieval import iter_content
assert marker in b"".join(iter_content(item)), "the marker must come back when decrypted"
print("ok")
"""


@pytest.mark.skipif(settings.PRODUCTION, reason="scans the embedded profile's own files")
def test_marker_is_nowhere_at_rest(tmp_path: Path) -> None:
    marker = "MARKER-" + secrets.token_hex(12)
    var, tmp, log = tmp_path / "var", tmp_path / "tmp", tmp_path / "custody.log"
    tmp.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CUSTODY_", "DATABASE_", "CELERY_"))}
    env.update(
        CUSTODY_VAR_DIR=str(var),
        CUSTODY_LOG_FILE=str(log),
        CUSTODY_LOG_LEVEL="DEBUG",
        TMPDIR=str(tmp),
        DJANGO_SETTINGS_MODULE="vault.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, marker],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output.decode(errors="replace")[-3000:]
    assert marker.encode() not in output, "the marker reached the process output or its logs"
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "custody.sqlite3" for p in files), "the database file must exist"
    assert any("items" in p.parts for p in files), "encrypted objects must exist"
    assert log.exists()
    for path in files:
        data = path.read_bytes()
        assert marker.encode() not in data, f"marker found in {path.relative_to(tmp_path)}"
        assert marker.encode("utf-16-le") not in data, f"marker (UTF-16) found in {path.relative_to(tmp_path)}"


@pytest.mark.production_only
@pytest.mark.django_db(transaction=True)
def test_marker_is_nowhere_in_postgres_s3_temp_or_logs(
    world: Any, case: Any, login: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import base64

    import boto3
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import override_settings
    from django.urls import reverse

    from evidence.models import EvidenceItem
    from evidence.retrieval import iter_content

    caplog.set_level(logging.DEBUG)
    marker = "MARKER-" + secrets.token_hex(12)
    body = (b"statement " + marker.encode() + b" ") * 400_000
    name = f"{marker}.txt"
    spool = tmp_path / "spool"
    spool.mkdir()
    client = login(world.member)
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(spool)):
        form = {"sensitivity": "high", "file": SimpleUploadedFile(name, body)}
        assert client.post(reverse("evidence:upload", args=[case.pk]), form).status_code == 302
        tus = {"Tus-Resumable": "1.0.0"}
        meta = "filename " + base64.b64encode(name.encode()).decode()
        created = client.post(
            reverse("evidence:tus", args=[case.pk]),
            headers={**tus, "Upload-Length": str(len(body) + 1), "Upload-Metadata": meta},
        )
        url = created["Location"]
        octets = "application/offset+octet-stream"
        first = client.generic("PATCH", url, body[: len(body) // 2], content_type=octets,
                               headers={**tus, "Upload-Offset": "0"})  # fmt: skip
        offset = int(first["Upload-Offset"])
        rest = (body + b"!")[offset:]
        done = client.generic("PATCH", url, rest, content_type=octets, headers={**tus, "Upload-Offset": str(offset)})
        assert done.status_code == 204
    items = list(EvidenceItem.objects.order_by("pk"))
    assert len(items) == 2
    assert marker.encode() in b"".join(iter_content(items[0])), "the marker must come back when decrypted"

    db = connection.settings_dict
    dump = subprocess.run(
        ["pg_dump", "-h", str(db["HOST"] or "127.0.0.1"), "-p", str(db["PORT"] or 5432), "-U", str(db["USER"]),
         "--no-owner", str(db["NAME"])],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    assert b"evidence_evidenceitem" in dump.stdout
    assert marker.encode() not in dump.stdout, "marker found in the PostgreSQL dump"

    options = settings.STORAGES["evidence"]["OPTIONS"]
    s3 = boto3.client("s3", endpoint_url=options["endpoint_url"], region_name=settings.AWS_S3_REGION_NAME)
    listed = s3.list_objects_v2(Bucket=options["bucket_name"])
    keys = [o["Key"] for o in listed.get("Contents", [])]
    assert any(key == items[0].object_key for key in keys)
    for key in keys:
        data = s3.get_object(Bucket=options["bucket_name"], Key=key)["Body"].read()
        assert marker.encode() not in data, f"marker found in object {key}"
        assert marker.encode() not in key.encode()
    for path in spool.rglob("*"):
        assert not path.is_file() or marker.encode() not in path.read_bytes()
    assert marker not in caplog.text
