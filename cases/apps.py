from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases.sharing import on_consent_withdrawn
        from cases.signals import consent_withdrawn

        consent_withdrawn.connect(on_consent_withdrawn, dispatch_uid="cases.sharing.on_consent_withdrawn")
