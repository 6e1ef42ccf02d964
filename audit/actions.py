"""The fixed vocabulary of audited actions.

Values are stored in the hash chain: never rename or reuse one. New
capabilities add members.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    # Identity
    LOGIN = "auth.login", _("Signed in")
    LOGIN_FAILED = "auth.login_failed", _("Failed sign-in")
    LOGIN_LOCKED = "auth.login_locked", _("Sign-in refused: account locked")
    LOGOUT = "auth.logout", _("Signed out")
    SESSION_EXPIRED = "auth.session_expired", _("Session expired")
    OTP_ENROLLED = "auth.otp_enrolled", _("Two-factor device enrolled")
    OTP_VERIFIED = "auth.otp_verified", _("Two-factor code accepted")
    OTP_FAILED = "auth.otp_failed", _("Two-factor code refused")
    OTP_RESET = "auth.otp_reset", _("Two-factor devices reset")
    RECOVERY_CODES_GENERATED = "auth.recovery_codes", _("Recovery codes generated")
    RECOVERY_CODE_USED = "auth.recovery_code_used", _("Recovery code used")
    SUDO_GRANTED = "auth.sudo", _("Re-authenticated for a sensitive action")
    PASSWORD_CHANGED = "auth.password_changed", _("Password changed")
    API_TOKEN_CREATED = "auth.token_created", _("API token created")
    API_TOKEN_REVOKED = "auth.token_revoked", _("API token revoked")
    # Accounts and teams
    ACCOUNT_CREATED = "account.created", _("Account created")
    ACCOUNT_DISABLED = "account.disabled", _("Account disabled")
    ACCOUNT_ENABLED = "account.enabled", _("Account enabled")
    MEMBERSHIP_ADDED = "team.membership_added", _("Membership added")
    MEMBERSHIP_ROLE_CHANGED = "team.role_changed", _("Membership role changed")
    MEMBERSHIP_REMOVED = "team.membership_removed", _("Membership removed")
    ORGANISATION_CREATED = "team.organisation_created", _("Organisation created")
    TEAM_CREATED = "team.created", _("Team created")
    # Access decisions on objects that exist or not (recorded the same way)
    ACCESS_DENIED = "access.denied", _("Access denied")
    # Audit log itself
    AUDIT_VIEWED = "audit.viewed", _("Audit log viewed")
    AUDIT_EXPORTED = "audit.exported", _("Audit log exported")
    AUDIT_CHECKPOINT = "audit.checkpoint", _("Audit checkpoint signed")
    AUDIT_VERIFIED = "audit.verified", _("Audit chain verified")
    AUDIT_BROKEN = "audit.broken", _("Audit chain verification failed")
    # Cases, survivors, consent, MHPSS (cases app)
    CASE_CREATED = "case.created", _("Case created")
    CASE_UPDATED = "case.updated", _("Case updated")
    CASE_VIEWED = "case.viewed", _("Case viewed")
    # -- end of cases section --
    # Evidence: intake, storage, retrieval, keys (evidence app)
    # -- end of evidence section --
    # Custody transfers and reports
    # -- end of custody section --
    # Sharing and grants
    # -- end of sharing section --
    # Redaction
    # -- end of redaction section --
    # Productions
    # -- end of productions section --


class Outcome(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    DENIED = "denied", _("Denied")
    FAILED = "failed", _("Failed")
