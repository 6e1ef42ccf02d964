from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from audit import guards


def install(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    guards.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_checkpoint_alert"),
    ]

    operations = [
        # Irreversible on purpose: nothing in the application removes the guards.
        migrations.RunPython(install, elidable=False),
    ]
