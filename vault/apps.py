from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "vault"
    verbose_name = "Custody platform"

    def ready(self) -> None:
        from vault import checks  # noqa: F401  (registers system checks)
        from vault.crypto import checks as crypto_checks  # noqa: F401  (key provider and escrow checks)
