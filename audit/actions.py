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
    ACCOUNTS_LISTED = "account.listed", _("Account list viewed")
    TEAM_VIEWED = "team.viewed", _("Team and its members viewed")
    # Access decisions on objects that exist or not (recorded the same way)
    ACCESS_DENIED = "access.denied", _("Access denied")
    # Audit log itself
    AUDIT_VIEWED = "audit.viewed", _("Audit log viewed")
    AUDIT_EXPORTED = "audit.exported", _("Audit log exported")
    AUDIT_CHECKPOINT = "audit.checkpoint", _("Audit checkpoint signed")
    AUDIT_VERIFIED = "audit.verified", _("Audit chain verified")
    AUDIT_BROKEN = "audit.broken", _("Audit chain verification failed")
    ALERT_RESOLVED = "audit.alert_resolved", _("Integrity alert resolved")
    # Cases, survivors, consent, MHPSS (cases app)
    CASE_CREATED = "case.created", _("Case created")
    CASE_UPDATED = "case.updated", _("Case updated")
    CASE_VIEWED = "case.viewed", _("Case viewed")
    CASES_LISTED = "case.listed", _("Case list viewed")
    SURVIVOR_CREATED = "survivor.created", _("Survivor registered")
    SURVIVOR_VIEWED = "survivor.viewed", _("Survivor file viewed")
    SURVIVOR_UPDATED = "survivor.updated", _("Survivor file updated")
    IDENTITY_SEALED = "survivor.identity_sealed", _("Sealed identity written")
    IDENTITY_REVEALED = "survivor.identity_revealed", _("Sealed identity revealed")
    IDENTITY_SHREDDED = "survivor.identity_shredded", _("Sealed identity crypto-shredded")
    IDENTITY_CUSTODIAN_ADDED = "survivor.custodian_added", _("Identity custodian added")
    IDENTIFIERS_FOR_REDACTION = "survivor.identifiers_for_redaction", _("Identifiers released for redaction")
    CONSENT_RECORDED = "consent.recorded", _("Consent recorded")
    CONSENT_WITHDRAWN = "consent.withdrawn", _("Consent withdrawn")
    CONSENT_CHECKED = "consent.checked", _("Consent checked for an action")
    CONSENT_REFUSED = "consent.refused", _("Action refused for lack of consent")
    CONSENT_DEPENDENCY_SUSPENDED = "consent.dependency_suspended", _("Use suspended by a withdrawal")
    CONSENT_RECEIPT_PRINTED = "consent.receipt_printed", _("Consent receipt printed")
    MHPSS_NOTE_WRITTEN = "mhpss.note_written", _("MHPSS note written")
    MHPSS_NOTE_READ = "mhpss.note_read", _("MHPSS note read")
    INTERVIEW_RECORDED = "interview.recorded", _("Interview recorded")
    DEADLINE_REMINDED = "case.deadline_reminded", _("Limitation deadline reminder sent")
    # -- end of cases section --
    # Evidence: intake, storage, retrieval, keys (evidence app)
    EVIDENCE_UPLOADED = "evidence.uploaded", _("Evidence received and stored")
    EVIDENCE_UPLOAD_FAILED = "evidence.upload_failed", _("Evidence upload failed")
    EVIDENCE_UPLOAD_STARTED = "evidence.upload_started", _("Resumable upload started")
    EVIDENCE_UPLOAD_CANCELLED = "evidence.upload_cancelled", _("Resumable upload cancelled")
    EVIDENCE_DUPLICATE = "evidence.duplicate", _("Duplicate evidence linked, not stored twice")
    EVIDENCE_VIEWED = "evidence.viewed", _("Evidence metadata viewed")
    EVIDENCE_LISTED = "evidence.listed", _("Evidence list viewed")
    EVIDENCE_DOWNLOADED = "evidence.downloaded", _("Evidence content downloaded")
    EVIDENCE_INTEGRITY_FAILED = "evidence.integrity_failed", _("Evidence failed an integrity check")
    EVIDENCE_VERIFIED = "evidence.verified", _("Evidence integrity sweep run")
    EVIDENCE_LEGAL_HOLD_SET = "evidence.legal_hold_set", _("Legal hold set")
    EVIDENCE_LEGAL_HOLD_REMOVED = "evidence.legal_hold_removed", _("Legal hold removed")
    EVIDENCE_SHREDDED = "evidence.shredded", _("Evidence crypto-shredded")
    EVIDENCE_KEYS_ROTATED = "evidence.keys_rotated", _("Data keys re-wrapped under a new key version")
    EVIDENCE_UPLOAD_RESTARTED = "evidence.upload_restarted", _("Resumable upload restarted under a new key")
    EVIDENCE_SURVIVORS_LINKED = "evidence.survivors_linked", _("Survivors concerned by an item set")
    # -- end of evidence section --
    # Custody transfers and reports
    PHYSICAL_ITEM_REGISTERED = "custody.physical_registered", _("Physical item registered")
    CUSTODY_VIEWED = "custody.viewed", _("Custody record viewed")
    CUSTODY_TRANSFER_PROPOSED = "custody.transfer_proposed", _("Custody transfer proposed")
    CUSTODY_TRANSFER_ACCEPTED = "custody.transfer_accepted", _("Custody transfer accepted")
    CUSTODY_TRANSFER_DECLINED = "custody.transfer_declined", _("Custody transfer declined")
    CUSTODY_TRANSFER_CANCELLED = "custody.transfer_cancelled", _("Custody transfer cancelled")
    CUSTODY_REPORT_GENERATED = "custody.report_generated", _("Custody report generated")
    # -- end of custody section --
    # Sharing and grants
    GRANT_CREATED = "sharing.grant_created", _("Access granted to another team")
    GRANT_REFUSED = "sharing.grant_refused", _("Grant refused")
    GRANT_REVOKED = "sharing.grant_revoked", _("Grant revoked")
    GRANT_SUSPENDED = "sharing.grant_suspended", _("Grant suspended by a consent withdrawal")
    GRANT_EXPIRED = "sharing.grant_expired", _("Grant expired")
    GRANT_EXPIRY_WARNED = "sharing.grant_expiry_warned", _("Grant expiry warning sent")
    APPROVAL_REQUESTED = "sharing.approval_requested", _("Second approval requested")
    APPROVAL_GIVEN = "sharing.approval_given", _("Second approval given")
    APPROVAL_DECLINED = "sharing.approval_declined", _("Second approval declined")
    APPROVAL_USED = "sharing.approval_used", _("Second approval used")
    GRANTS_LISTED = "sharing.grants_listed", _("Grants of a case viewed")
    ACCESS_REVIEW_VIEWED = "sharing.review_viewed", _("Access review viewed")
    ACCESS_REVIEW_EXPORTED = "sharing.review_exported", _("Access review exported (CSV)")
    ANNOTATION_ADDED = "sharing.annotation_added", _("Comment added to an item")
    ANNOTATION_REFUSED = "sharing.annotation_refused", _("Comment refused: it names a survivor")
    ANNOTATIONS_VIEWED = "sharing.annotations_viewed", _("Comments on an item viewed")
    # -- end of sharing section --
    # Redaction
    REDACTION_PROPOSED = "redaction.proposed", _("Redaction proposal requested")
    REDACTION_PROPOSAL_READY = "redaction.proposal_ready", _("Redaction proposal ready for review")
    REDACTION_VIEWED = "redaction.viewed", _("Redaction proposal viewed")
    REDACTION_MARK_DECIDED = "redaction.mark_decided", _("Proposed redaction accepted or rejected")
    REDACTION_TERM_ADDED = "redaction.term_added", _("Redaction term added by hand")
    REDACTION_REVIEWED = "redaction.reviewed", _("Redaction proposal reviewed")
    REDACTION_APPROVED = "redaction.approved", _("Redaction approved")
    REDACTION_RELEASED = "redaction.released", _("Redacted copy verified and stored")
    REDACTION_FAILED = "redaction.failed", _("Redaction failed; nothing released")
    REDACTION_LOG_EXPORTED = "redaction.log_exported", _("Redaction log exported")
    REDACTION_TEXT_REVEALED = "redaction.text_revealed", _("Text behind proposed redactions shown to a reviewer")
    REDACTION_PAGE_PREVIEWED = "redaction.page_previewed", _("Page of a document under redaction shown as an image")
    REDACTION_AREA_ADDED = "redaction.area_added", _("Redaction area drawn by hand")
    # -- end of redaction section --
    # Productions
    PRODUCTION_CREATED = "production.created", _("Court production created")
    PRODUCTION_VIEWED = "production.viewed", _("Court production viewed")
    PRODUCTION_ITEMS_SELECTED = "production.items_selected", _("Items selected for a court production")
    PRODUCTION_ITEM_DECIDED = "production.item_decided", _("Form of an item in a court production decided")
    PRODUCTION_ITEM_PRIVILEGED = "production.item_privileged", _("Item withheld by hand from a court production")
    PRODUCTION_SEARCH_SAVED = "production.search_saved", _("Saved search stored")
    PRODUCTION_BUILD_STARTED = "production.build_started", _("Court production build started")
    PRODUCTION_BUILD_FINISHED = "production.build_finished", _("Court production built and stored")
    PRODUCTION_BUILD_FAILED = "production.build_failed", _("Court production build failed")
    PRODUCTION_ITEM_INCLUDED = "production.item_included", _("Item included in a court production")
    PRODUCTION_ITEM_WITHHELD_AT_BUILD = (
        "production.item_withheld_at_build",
        _("Item withheld from a court production at build (consent or the recipient's grants no longer allow it)"),
    )
    PRODUCTION_RELEASED = "production.released", _("Court production released")
    PRODUCTION_RELEASE_REFUSED = "production.release_refused", _("Court production release refused")
    PRODUCTION_DOWNLOADED = "production.downloaded", _("Court production package downloaded")
    PRODUCTION_DOWNLOAD_STOPPED = "production.download_stopped", _("Court production download stopped")
    PRODUCTION_REVOKED = "production.revoked", _("Court production revoked")
    PRODUCTION_SUSPENDED = (
        "production.suspended",
        _("Court production downloads suspended: a survivor linked later has not consented"),
    )
    PRODUCTION_SUSPENSION_LIFTED = (
        "production.suspension_lifted",
        _("Court production downloads resumed: the missing consents are recorded"),
    )
    PRODUCTION_SUSPENSION_LIFT_REFUSED = (
        "production.suspension_lift_refused",
        _("Court production downloads not resumed: a consent is still missing"),
    )
    # -- end of productions section --


class Outcome(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    DENIED = "denied", _("Denied")
    FAILED = "failed", _("Failed")
