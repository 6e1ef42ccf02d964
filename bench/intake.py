"""Evidence intake throughput and memory, measured in one run against references on the same machine.

    .venv/bin/python bench/intake.py [--gib 1] [--rss-mib 256 2048] [--repeat 2]

raw      = hashlib SHA-256 + AES-256-GCM over the same bytes in memory, 1 MiB at a time, one thread
           (the machine's limit for this work);
intake   = the real intake path (evidence.intake.SealedWriter: hash + segment encryption + store through
           the local evidence storage), reading the file in 1 MiB chunks;
gpg      = ``gpg --batch --symmetric --compress-algo none`` on the same file (passphrase from a descriptor);
store    = only writing the same bytes through the local evidence storage (what storing alone costs);
Each is reported in MiB/s (wall) and MiB per CPU-second (all threads; gpg: the child's CPU), the steadier
measure on a shared machine.
rss      = peak resident memory (VmHWM) of a fresh process that runs a whole multipart upload through the intake
           view (WSGI request whose body is streamed, never held), for each size in ``--rss-mib``, and the speed
           of that upload (Django's multipart parsing, the sealing upload handler, recording the item).
The test file and every output live in a temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MIB = 1 << 20
BLOCK = 1 * MIB


def make_file(path: Path, size: int) -> None:
    with path.open("wb") as out:
        for _ in range(size // BLOCK):
            out.write(os.urandom(BLOCK))


def bench_raw(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds (all threads of this process)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    segments = []
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            segments.append(block)
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    start, cpu = time.perf_counter(), time.process_time()
    digest = hashlib.sha256()
    for index, segment in enumerate(segments):
        digest.update(segment)
        aead.encrypt(index.to_bytes(12, "big"), segment, None)
    digest.hexdigest()
    return time.perf_counter() - start, time.process_time() - cpu


def bench_intake(path: Path) -> tuple[float, float]:
    from evidence.intake import Plan, SealedWriter

    start, cpu = time.perf_counter(), time.process_time()
    writer = SealedWriter(Plan(alias="evidence", kek_scope="org:bench"))
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            writer.write(block)
    sealed = writer.finish()
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    from evidence import storage

    storage.delete(sealed.alias, sealed.key)
    return elapsed, used


def bench_store(path: Path) -> tuple[float, float]:
    """Only the writing: the same bytes through the local evidence storage, with no hashing or encryption."""
    from evidence import storage

    start, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as handle, storage.writer("evidence", "items/bench-store-only") as out:
        while block := handle.read(BLOCK):
            storage.put(out, block)
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    storage.delete("evidence", "items/bench-store-only")
    return elapsed, used


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_gpg(path: Path, work: Path) -> tuple[float, float]:
    home = work / "gnupg"
    home.mkdir(mode=0o700, parents=True)
    out = work / "out.gpg"
    read_end, write_end = os.pipe()
    os.write(write_end, b"bench passphrase for this run only\n")
    os.close(write_end)
    command = [
        "gpg", "--homedir", str(home), "--batch", "--yes", "--quiet", "--pinentry-mode", "loopback",
        "--passphrase-fd", str(read_end), "--symmetric", "--cipher-algo", "AES256", "--compress-algo", "none",
        "--output", str(out), str(path),
    ]  # fmt: skip
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(command, check=True, pass_fds=(read_end,))
    elapsed, used = time.perf_counter() - start, _children_cpu() - cpu
    os.close(read_end)
    out.unlink()
    return elapsed, used


RSS_SCRIPT = r"""
import io, os, sys
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.client import ClientHandler
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import User
from cases.models import Case
from teams.models import Jurisdiction, Membership, Organisation, Role, Team

size = int(sys.argv[1]) * 1024 * 1024
call_command("migrate", verbosity=0)
car = Jurisdiction.objects.create(country="CF")
org = Organisation.objects.create(name="Bench", slug="bench", jurisdiction=car)
team = Team.objects.create(organisation=org, jurisdiction=car, name="Bench", slug="bench")
user = User.objects.create_user(username="bench", password="correct horse battery staple 42")
Membership.objects.create(user=user, team=team, role=Role.LAWYER)
case = Case.objects.create(reference="BEN-CH-0001", organisation=org, host_jurisdiction=car)
case.teams.set([team])
client = Client()
client.force_login(user)
session = client.session
session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=user, name="bench", confirmed=True).persistent_id
session.save()
boundary = "bench-boundary"
head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"sensitivity\"\r\n\r\nhigh\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n").encode()
tail = f"\r\n--{boundary}--\r\n".encode()
block = os.urandom(1024 * 1024)

class Body(io.RawIOBase):
    # The request body, generated as it is read: head, size bytes, tail.

    def __init__(self):
        super().__init__()
        self.position = 0
        self.total = len(head) + size + len(tail)

    def readable(self):
        return True

    def readinto(self, buffer):
        want = min(len(buffer), self.total - self.position)
        if want <= 0:
            return 0
        if self.position < len(head):
            data = head[self.position : self.position + want]
        elif self.position >= len(head) + size:
            offset = self.position - len(head) - size
            data = tail[offset : offset + want]
        else:
            offset = (self.position - len(head)) % len(block)
            data = block[offset : offset + min(want, len(block) - offset, len(head) + size - self.position)]
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

def peak_kib():
    # VmHWM belongs to this process image (ru_maxrss would carry the parent's peak across fork/exec).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM")

def post(nbytes):
    global size
    size = nbytes
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": reverse("evidence:upload", args=[case.pk]),
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
        "wsgi.input": io.BufferedReader(Body(), 1024 * 1024),
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
        "CONTENT_LENGTH": str(len(head) + size + len(tail)), "HTTP_ACCEPT": "application/json",
        "HTTP_COOKIE": client.cookies.output(header="", sep=";").strip(), "REMOTE_ADDR": "127.0.0.1",
    }
    response = ClientHandler(enforce_csrf_checks=False)(environ)
    assert response.status_code == 200, (response.status_code, response.content[:200])

wanted = size
post(1024 * 1024)  # warm-up: first-request imports and caches are not part of the upload's cost
with open("/proc/self/clear_refs", "w") as reset:
    reset.write("5")  # start the peak from the current resident size
before = peak_kib()
import time
started, cpu = time.perf_counter(), time.process_time()
post(wanted)
elapsed, used = time.perf_counter() - started, time.process_time() - cpu
after = peak_kib()
print(before, after, elapsed, used)
"""


def bench_rss(mib: int, work: Path) -> tuple[int, int, float, float]:
    var = work / f"rss-{mib}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CUSTODY_", "DATABASE_", "CELERY_"))}
    env.update(CUSTODY_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="vault.settings", CUSTODY_LOG_LEVEL="WARNING")
    env["ALLOWED_HOSTS"] = "testserver"
    result = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(mib)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    before, after, elapsed, used = result.stdout.split()[-4:]
    shutil.rmtree(var, ignore_errors=True)
    return int(before) // 1024, int(after) // 1024, float(elapsed), float(used)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--rss-mib", type=int, nargs="*", default=[256, 2048])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="custody-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vault.settings")
    os.environ["CUSTODY_VAR_DIR"] = str(work / "var")
    import django

    django.setup()
    try:
        run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    size = int(args.gib * 1024) * MIB
    path = work / "evidence.bin"
    make_file(path, size)
    mib = size / MIB
    results: dict[str, list[float]] = {"raw": [], "intake": [], "gpg": [], "store": []}
    cpu: dict[str, list[float]] = {"raw": [], "intake": [], "gpg": [], "store": []}
    for _ in range(args.repeat):
        for name, run_one in (
            ("raw", lambda: bench_raw(path)),
            ("intake", lambda: bench_intake(path)),
            ("gpg", lambda: bench_gpg(path, work / f"gpg-{len(results['gpg'])}")),
            ("store", lambda: bench_store(path)),
        ):
            elapsed, used = run_one()
            results[name].append(elapsed)
            cpu[name].append(used)
    speed = {name: mib / min(times) for name, times in results.items()}
    efficiency = {name: mib / min(times) for name, times in cpu.items()}
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(f"file: {mib:.0f} MiB of random bytes; best of {args.repeat}")
    for name in ("raw", "intake", "gpg", "store"):
        print(f"{name:7s} {speed[name]:8.0f} MiB/s  {efficiency[name]:8.0f} MiB per CPU-second")
    print(f"intake / raw = {speed['intake'] / speed['raw']:.0%} (target >= 60%)")
    print(f"intake / gpg = {speed['intake'] / speed['gpg']:.1f}x (target > 1)")
    print(
        f"per CPU-second: intake / raw = {efficiency['intake'] / efficiency['raw']:.0%}, "
        f"intake / gpg = {efficiency['intake'] / efficiency['gpg']:.1f}x"
    )
    # The three run back to back in each round: on a shared machine the per-round ratio is steadier.
    per_round = sorted(r / i for r, i in zip(results["raw"], results["intake"], strict=True))
    per_round_gpg = sorted(g / i for g, i in zip(results["gpg"], results["intake"], strict=True))
    print(
        f"per round, median: intake / raw = {statistics.median(per_round):.0%}, "
        f"intake / gpg = {statistics.median(per_round_gpg):.1f}x"
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for mib_size in args.rss_mib:
        before, after, elapsed, used = bench_rss(mib_size, work)
        print(
            f"rss upload {mib_size:5d} MiB: peak {after} MiB "
            f"(before the request {before} MiB, growth {after - before} MiB); through the view "
            f"{mib_size / elapsed:.0f} MiB/s, {mib_size / used:.0f} MiB per CPU-second"
        )


if __name__ == "__main__":
    main()
