"""HTTP side of deploy/smoke.sh: sign in through the web pages (password, then TOTP) and call the API.

Talks plain HTTP to gunicorn on loopback while saying, as nginx would, that
the request arrived over TLS; keeps the ``Secure`` ``__Host-`` cookies itself
because a standard cookie jar would not send them over plain HTTP.

Usage: smoke_client.py BASE_URL USERNAME PASSWORD TOTP_KEY_HEX
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import time
from binascii import unhexlify
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from django_otp.oath import TOTP

TIMEOUT = 30


class Browser:
    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.origin = f"https://{self.host}:{self.port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"X-Forwarded-Proto": "https", "Host": f"{self.host}:{self.port}", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            text = response.read().decode("utf-8", "replace")
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()

    def csrf_token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        expect(status == 200, f"GET {path} answered {status}")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        expect(match is not None, f"no CSRF token on {path}")
        assert match is not None
        return match.group(1)


def expect(condition: bool, message: str) -> None:
    if not condition:
        sys.stderr.write(f"smoke: FAILED: {message}\n")
        sys.exit(1)


def totp_code(key_hex: str) -> str:
    totp = TOTP(unhexlify(key_hex), step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def main(base_url: str, username: str, password: str, key_hex: str) -> None:
    browser = Browser(base_url)
    token = browser.csrf_token("/accounts/login/")
    status, location, _ = browser.request(
        "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password}
    )
    expect(status == 302 and location.endswith("/accounts/login/code/"), f"password step: {status} {location}")

    # Before the second factor the API treats the session as not signed in.
    status, _, _ = browser.request("GET", "/api/v1/me/")
    expect(status in (401, 403), f"/api/v1/me/ before the second factor answered {status}")

    token = browser.csrf_token("/accounts/login/code/")
    status, location, _ = browser.request(
        "POST", "/accounts/login/code/", {"csrfmiddlewaretoken": token, "code": totp_code(key_hex)}
    )
    expect(status == 302 and "/accounts/login" not in location, f"TOTP step: {status} {location}")

    status, _, body = browser.request("GET", "/api/v1/me/")
    expect(status == 200, f"/api/v1/me/ answered {status}")
    me = json.loads(body)
    expect(me.get("username") == username, "/api/v1/me/ answered for someone else")

    status, _, body = browser.request("GET", "/api/schema/?format=json")
    expect(status == 200, f"/api/schema/ answered {status}")
    expect('"openapi"' in body and "/api/v1/me/" in body, "/api/schema/ is not the OpenAPI document")

    status, _, _ = browser.request("GET", "/static/css/custody.css")
    expect(status == 200, f"static file answered {status}")
    print(f"smoke: signed in as {username} with password and TOTP; /api/v1/me/ and /api/schema/ answer")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:5])
