from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _reinstall_guards(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # A SQLite table rebuild (ALTER emulation) drops the table's triggers; put them back.
    from audit import guards

    connection = connections[using]
    tables = connection.introspection.table_names()
    if connection.vendor in ("postgresql", "sqlite") and guards.PROTECTED_TABLES[0] in tables:
        guards.install(connection)


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        post_migrate.connect(_reinstall_guards, sender=self, dispatch_uid="audit.reinstall_guards")
        from audit import checks  # noqa: F401  (registers the compiled walker check)
