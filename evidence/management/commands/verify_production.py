"""Check a production package as its receiver would: bag, signature, Bates numbers, load files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import signing
from evidence.production.verify import UnusableInput, verify_package


class Command(BaseCommand):
    help = (
        "Verify a production package (its ZIP or the extracted bag directory): the bag is complete and every "
        "checksum matches, the tag manifest's signature is good, Bates numbers run without gaps over stamped "
        "pages, and the load files agree. The signer must be established: by default this vault's signing key, "
        "or the key named by --key / --fingerprint; a good signature by anyone else is not enough. "
        "Exit status 0 sound, 1 broken or signer not established, 2 unusable input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The package ZIP or an extracted bag directory.")
        parser.add_argument("--key", help="An ASCII-armoured public key file to check the signature with.")
        parser.add_argument(
            "--fingerprint",
            action="append",
            default=[],
            help="Require a signature by this key (repeatable), e.g. the fingerprint the producer published.",
        )

    def _expected(self, key: str | None, fingerprints: list[str]) -> list[str]:
        """The signers to accept: the ones named, else this vault's own keys (none outside a vault)."""
        if key is not None or fingerprints:
            return fingerprints
        try:
            own = signing.known_fingerprints()
        except (OSError, signing.SigningError) as exc:
            # A copy of the software outside any vault (or without access to its key): no own key.
            self.stdout.write(f"no vault signing key to compare with ({exc})")
            return []
        if own:
            self.stdout.write(f"expected signer: this vault's signing key {', '.join(own)}")
        return own

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = Path(options["key"]).read_text(encoding="ascii") if options["key"] else None
            fingerprints = self._expected(key, options["fingerprint"])
            report = verify_package(options["path"], key=key, fingerprints=fingerprints)
        except (UnusableInput, OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"unusable input: {exc}", returncode=2) from exc
        for check in report.checks:
            mark = self.style.SUCCESS("ok  ") if check.ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {check.name}: {check.detail}")
        if report.fingerprint:
            self.stdout.write(f"signing key fingerprint: {report.fingerprint}")
        failed = [check for check in report.checks if not check.ok]
        if [check.name for check in failed] == ["signer"]:
            raise CommandError(f"the production is not verified: {failed[0].detail}", returncode=1)
        if failed:
            raise CommandError(f"the production is broken: {report.first_problem}", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"production {report.bag_name} is sound"))
