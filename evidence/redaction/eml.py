"""E-mail messages (.eml): headers, every MIME part, attachments through their own redactor."""

from __future__ import annotations

import email
import email.encoders
import email.policy
from collections.abc import Callable, Sequence
from email.header import Header, decode_header, make_header
from email.message import Message

from django.utils.translation import gettext as _

from .detection import Policy, Term
from .result import Outcome, Report, UnsupportedFormat
from .text import count, redact_string

# Redacts one attachment: (data, filename) -> Outcome. Supplied by the engine to avoid a cycle.
AttachmentRedactor = Callable[[bytes, str], Outcome]
_TEXT_TYPES = ("text/plain", "text/html", "text/csv", "text/enriched")


def header_text(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (UnicodeError, LookupError, ValueError):
        return value


def redact_eml(data: bytes, terms: Sequence[Term], policy: Policy, attachment: AttachmentRedactor) -> Outcome:
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    report = Report(format="eml")
    _redact_part(message, terms, policy, attachment, report)
    return Outcome(message.as_bytes(), report)


def _redact_headers(part: Message, terms: Sequence[Term], policy: Policy, report: Report) -> None:
    items = list(part.items())
    for name in {n for n, _v in items}:
        del part[name]
    for name, value in items:
        text = header_text(str(value))
        redacted, matches = redact_string(text, terms, policy)
        count(report, matches)
        if redacted == text and text == str(value):
            part[name] = value
        else:
            part[name] = Header(redacted, "utf-8").encode() if not redacted.isascii() else redacted


def _redact_part(
    part: Message, terms: Sequence[Term], policy: Policy, attachment: AttachmentRedactor, report: Report
) -> None:
    _redact_headers(part, terms, policy, report)
    content_type = part.get_content_type()
    if part.is_multipart():
        for child in part.get_payload():
            if isinstance(child, Message):
                _redact_part(child, terms, policy, attachment, report)
        return
    if content_type == "message/rfc822":
        for child in part.get_payload():
            if isinstance(child, Message):
                _redact_part(child, terms, policy, attachment, report)
        return
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return
    if content_type in _TEXT_TYPES and not part.get_filename():
        charset = part.get_content_charset() or "utf-8"
        text = payload.decode(charset, errors="replace")
        redacted, matches = redact_string(text, terms, policy)
        count(report, matches)
        _set_payload(part, redacted.encode("utf-8"), charset="utf-8")
        return
    filename = part.get_filename() or ""
    try:
        outcome = attachment(payload, filename or content_type)
    except UnsupportedFormat as exc:
        raise UnsupportedFormat(
            _("An attachment of the message cannot be redacted (%(type)s): %(reason)s")
            % {"type": content_type, "reason": exc.message}
        ) from exc
    report.merge(outcome.report)
    _set_payload(part, outcome.data, charset=None)


def _set_payload(part: Message, data: bytes, charset: str | None) -> None:
    del part["Content-Transfer-Encoding"]
    if charset:
        part.set_payload(data, charset="utf-8")
        if "Content-Transfer-Encoding" not in part:
            email.encoders.encode_base64(part)
    else:
        part.set_payload(data)
        email.encoders.encode_base64(part)


def message_texts(data: bytes) -> list[tuple[str, str]]:
    """(location, text) of every header and text part, decoded, for verification."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    found: list[tuple[str, str]] = []
    for index, part in enumerate(message.walk()):
        for name, value in part.items():
            found.append((f"part {index} header {name}", header_text(str(value))))
        if part.get_content_type() in _TEXT_TYPES and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset() or "utf-8"
                found.append((f"part {index} body", payload.decode(charset, errors="replace")))
    return found


def attachments(data: bytes) -> list[tuple[str, bytes, str]]:
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    found: list[tuple[str, bytes, str]] = []
    for index, part in enumerate(message.walk()):
        textual = part.is_multipart() or part.get_content_type() in (*_TEXT_TYPES, "message/rfc822")
        if textual and not part.get_filename():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and not part.is_multipart():
            found.append((f"part {index}", payload, part.get_filename() or part.get_content_type()))
    return found
