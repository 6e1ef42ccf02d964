"""Signals other parts of the vault connect to.

``consent_withdrawn`` is sent inside the transaction that records a withdrawal (or a
refusal superseding a grant), after every registered ``ConsentDependency`` on it has
been suspended. Receivers run in that transaction: if one fails, the withdrawal
rolls back with it and nothing is left half-suspended.

Arguments: ``record`` (the new ConsentRecord), ``previous`` (the record it
supersedes, or None), ``suspended`` (list of the ConsentDependency rows just
suspended), ``user`` (who recorded the withdrawal).
"""

from django.dispatch import Signal

consent_withdrawn = Signal()
