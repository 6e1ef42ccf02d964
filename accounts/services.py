"""Writes about identity: sign-in steps, second factors, passwords, tokens, accounts.

Each function writes its audit event in the same transaction as the change.
"""

from __future__ import annotations

import secrets
from binascii import unhexlify
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, User, UserSession
from audit.actions import Action, Outcome
from audit.services import Target, record

RECOVERY_CODE_COUNT: Final = 10
TOTP_DEVICE_NAME: Final = "authenticator"
RECOVERY_DEVICE_NAME: Final = "recovery"
# Recognisable in logs and by secret scanners; the 256 random bits that follow are the secret.
API_TOKEN_PREFIX: Final = "cst_"  # noqa: S105 - a public prefix, not a secret


class AccountError(ValueError):
    pass


def _user_target(user: User) -> Target:
    return Target("user", user.pk)


# --- Sessions -------------------------------------------------------------------


def remember_session(*, user: User, session_key: str) -> None:
    UserSession.objects.get_or_create(session_key=session_key, defaults={"user": user})
    _prune_sessions(user)


def _prune_sessions(user: User) -> None:
    """Forget sessions that ended without a sign-out (expired, browser closed), when the database holds them."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    UserSession.objects.filter(user=user).exclude(session_key__in=live).delete()


def forget_session(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def _session_store(session_key: str) -> SessionBase:
    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    store: SessionBase = engine(session_key)
    return store


def _session_moved(request: HttpRequest, user: User, old_key: str | None) -> None:
    forget_session(session_key=old_key)
    if request.session.session_key is None:
        request.session.save()
    remember_session(user=user, session_key=str(request.session.session_key))


def rotate_session(request: HttpRequest, user: User) -> None:
    """A new session key when the session gains privilege (second factor, sudo)."""
    old_key = request.session.session_key
    request.session.cycle_key()
    _session_moved(request, user, old_key)


def end_all_sessions(*, user: User) -> int:
    """Delete every recorded session of ``user`` and their API tokens. Returns how many sessions ended."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        _session_store(key).delete(key)
    UserSession.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    return len(keys)


# --- Sign-in ----------------------------------------------------------------------


def record_login(*, request: HttpRequest, user: User) -> None:
    record(action=Action.LOGIN, user=user, request=request, targets=[_user_target(user)], details={"step": "password"})


def record_login_failed(*, request: HttpRequest, username: str, locked: bool) -> None:
    """Record a refused sign-in without writing what was typed into the append-only log.

    People type passwords (or other people's names) into the username box, and the log can never be
    purged: only an existing account's own username is written; anything else is recorded as
    "(unknown)" with a keyed hash (HMAC under SECRET_KEY, 16 hex digits) so repeated attempts with
    the same text can be correlated without the text being recoverable.
    """
    action = Action.LOGIN_LOCKED if locked else Action.LOGIN_FAILED
    typed = username.strip()
    known = User.objects.filter(username__iexact=typed).values_list("username", flat=True).first() if typed else None
    details: dict[str, str] = {}
    if known is None and typed:
        details["typed_hmac"] = salted_hmac("custody.login-failed", typed.casefold()).hexdigest()[:16]
    record(action=action, outcome=Outcome.DENIED, username=known or "(unknown)", request=request, details=details)


def record_logout(*, request: HttpRequest, user: User, expired: str = "") -> None:
    if expired:
        record(
            action=Action.SESSION_EXPIRED,
            user=user,
            request=request,
            targets=[_user_target(user)],
            details={"limit": expired},
        )
    else:
        record(action=Action.LOGOUT, user=user, request=request, targets=[_user_target(user)])


def is_verified(user: object) -> bool:
    """Has this session passed its second factor? (django-otp's OTPMiddleware adds ``is_verified``.)"""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _check_code(user: User, code: str) -> Device | None:
    """Check ``code`` against the user's devices, rows locked so that one code cannot pass twice."""
    if is_totp_code(code):
        for totp in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if totp.verify_token(code):
                return totp
        return None
    for static in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
        if static.verify_token(code.strip().lower().replace(" ", "").replace("-", "")):
            return static
    return None


def do_verify_second_factor(*, request: HttpRequest, user: User, code: str) -> Device | None:
    """Accept a TOTP code (once) or a recovery code (consumed), mark the session verified and audit it."""
    with transaction.atomic():
        device = _check_code(user, code)
        if device is None:
            record(action=Action.OTP_FAILED, outcome=Outcome.DENIED, user=user, request=request)
            return None
        is_recovery = isinstance(device, StaticDevice)
        remaining = StaticToken.objects.filter(device=device).count() if is_recovery else None
        record(
            action=Action.RECOVERY_CODE_USED if is_recovery else Action.OTP_VERIFIED,
            user=user,
            request=request,
            targets=[_user_target(user)],
            details={"remaining": remaining} if is_recovery else {},
        )
    rotate_session(request, user)
    otp_login(request, device)
    return device


def verify_code_only(*, request: HttpRequest, user: User, code: str) -> bool:
    """Check a code without changing the session's second-factor state (used for sudo mode)."""
    with transaction.atomic():
        device = _check_code(user, code)
        if device is None:
            record(action=Action.OTP_FAILED, outcome=Outcome.DENIED, user=user, request=request)
            return False
        if isinstance(device, StaticDevice):
            record(action=Action.RECOVERY_CODE_USED, user=user, request=request, targets=[_user_target(user)])
    return True


# --- Enrolment and recovery codes -----------------------------------------------


def new_totp_key() -> str:
    return secrets.token_hex(20)


def do_enrol_totp(*, request: HttpRequest, user: User, key: str, code: str) -> list[str] | None:
    """Confirm a new authenticator with a first code; returns fresh recovery codes, or None if the code is wrong."""
    with transaction.atomic():
        # Checked before any device row exists: a wrong first code must leave nothing behind.
        totp = TOTP(unhexlify(key), step=30, t0=0, digits=6)
        if not is_totp_code(code) or not totp.verify(int(code), tolerance=1):
            record(action=Action.OTP_FAILED, outcome=Outcome.DENIED, user=user, request=request)
            return None
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True, last_t=totp.t(), drift=totp.drift
        )
        record(action=Action.OTP_ENROLLED, user=user, request=request, targets=[_user_target(user)])
        codes = _replace_recovery_codes(user=user, request=request)
    rotate_session(request, user)
    otp_login(request, device)
    return codes


def _replace_recovery_codes(*, user: User, request: HttpRequest | None) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    record(
        action=Action.RECOVERY_CODES_GENERATED,
        user=user,
        request=request,
        targets=[_user_target(user)],
        details={"count": len(codes)},
    )
    return codes


def do_regenerate_recovery_codes(*, request: HttpRequest, user: User) -> list[str]:
    with transaction.atomic():
        return _replace_recovery_codes(user=user, request=request)


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Password and tokens -----------------------------------------------------------


def do_change_password(*, request: HttpRequest, user: User, password: str) -> None:
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record(action=Action.PASSWORD_CHANGED, user=user, request=request, targets=[_user_target(user)])
    # Keeps this session signed in (and verified) under a new key; the user's other sessions stop working.
    old_key = request.session.session_key
    update_session_auth_hash(request, user)
    _session_moved(request, user, old_key)


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: ``secret`` exists only here, to be shown once; the database keeps its digest."""

    secret: str
    token: ApiToken

    @property
    def expires(self) -> datetime:
        return self.token.created + settings.API_TOKEN_TTL


def do_create_token(*, request: HttpRequest | None, user: User) -> IssuedToken:
    """A user holds one API token at a time: creating one replaces the previous one."""
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.filter(user=user).delete()
        token = ApiToken.objects.create(user=user, digest=ApiToken.digest_of(secret))
        record(action=Action.API_TOKEN_CREATED, user=user, request=request, targets=[_user_target(user)])
    return IssuedToken(secret=secret, token=token)


def do_revoke_token(*, request: HttpRequest | None, user: User) -> bool:
    with transaction.atomic():
        deleted, _ = ApiToken.objects.filter(user=user).delete()
        if deleted:
            record(action=Action.API_TOKEN_REVOKED, user=user, request=request, targets=[_user_target(user)])
    return bool(deleted)


# --- Account administration --------------------------------------------------------


def do_create_user(
    *, username: str, display_name: str, email: str, password: str, by: User | None, request: HttpRequest | None
) -> User:
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise AccountError("username taken")
        user = User(username=username, display_name=display_name, email=email)
        user.set_password(password)
        user.save()
        record(action=Action.ACCOUNT_CREATED, user=by, request=request, targets=[_user_target(user)])
    return user


def do_set_active(*, user: User, active: bool, by: User | None, request: HttpRequest | None) -> None:
    """Enable or disable an account. Disabling ends every session and API token at once."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        ended = 0 if active else end_all_sessions(user=locked)
        record(
            action=Action.ACCOUNT_ENABLED if active else Action.ACCOUNT_DISABLED,
            user=by,
            request=request,
            targets=[_user_target(locked)],
            details={} if active else {"sessions_ended": ended},
        )
    user.is_active = active


def do_reset_second_factor(*, user: User, by: User | None, request: HttpRequest | None) -> None:
    """Remove every device: the person enrols again at next sign-in. Their sessions end."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        ended = end_all_sessions(user=user)
        record(
            action=Action.OTP_RESET,
            user=by,
            request=request,
            targets=[_user_target(user)],
            details={"sessions_ended": ended},
        )
