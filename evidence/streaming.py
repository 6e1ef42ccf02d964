"""HTTP side of verified retrieval: whole-content and range responses whose stream is cut on tampering."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

from django.http import HttpResponse, StreamingHttpResponse

from evidence import retrieval
from evidence.models import EvidenceItem

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
OnFailure = Callable[[str], None]


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=a-b`` range as inclusive offsets; None when absent or not satisfiable as one range."""
    match = _RANGE.match(header.strip())
    if not match or size == 0:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start > end or start >= size:
        return None
    return start, end


class AccessEnded(Exception):
    """The caller's access ended during the transfer (a grant revoked, suspended or expired)."""


# A running transfer asks the policy again at most this often (seconds), between segments.
RECHECK_SECONDS = 1.0


def _guarded(
    chunks: Iterator[bytes], on_failure: OnFailure, still_allowed: Callable[[], bool] | None = None
) -> Iterator[bytes]:
    """Pass chunks through; on an integrity failure, record it and re-raise so the transfer breaks.

    ``still_allowed`` is asked between segments: once it says no, the transfer breaks off.
    """
    checked = time.monotonic()
    try:
        for chunk in chunks:
            if still_allowed is not None and time.monotonic() - checked >= RECHECK_SECONDS:
                if not still_allowed():
                    raise AccessEnded
                checked = time.monotonic()
            yield chunk
    except retrieval.IntegrityFailure as failure:
        on_failure(failure.reason)
        raise


def content_response(
    item: EvidenceItem,
    *,
    range_header: str,
    attachment: bool,
    filename: str,
    on_failure: OnFailure,
    still_allowed: Callable[[], bool] | None = None,
) -> HttpResponse | StreamingHttpResponse:
    size = item.size or 0
    wanted = parse_range(range_header, size) if range_header else None
    if range_header and wanted is None and _RANGE.match(range_header.strip()):
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    response: StreamingHttpResponse
    if wanted is None:
        response = StreamingHttpResponse(_guarded(retrieval.iter_content(item), on_failure, still_allowed), status=200)
        response["Content-Length"] = str(size)
    else:
        start, end = wanted
        chunks = _guarded(retrieval.iter_range(item, start, end), on_failure, still_allowed)
        response = StreamingHttpResponse(chunks, status=206)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Content-Type"] = item.media_type or "application/octet-stream"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "no-store"
    # Plaintext must not be spooled to a proxy's temporary files (nginx honours this header).
    response["X-Accel-Buffering"] = "no"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; media-src 'self'; sandbox"
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
