from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField(unique=True, verbose_name="sequence")),
                ("head_hash", models.CharField(max_length=64, verbose_name="head hash")),
                ("signed_at", models.DateTimeField(verbose_name="signed at")),
                ("statement", models.TextField(verbose_name="statement")),
                ("signature", models.TextField(verbose_name="signature")),
                ("statement_key", models.CharField(max_length=255, verbose_name="statement object")),
                ("signature_key", models.CharField(max_length=255, verbose_name="signature object")),
                ("key_fingerprint", models.CharField(max_length=64, verbose_name="signing key fingerprint")),
            ],
            options={
                "verbose_name": "audit checkpoint",
                "verbose_name_plural": "audit checkpoints",
                "ordering": ["seq"],
            },
        ),
        migrations.CreateModel(
            name="Alert",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(db_index=True, max_length=48, verbose_name="kind")),
                ("message", models.TextField(verbose_name="message")),
                ("raised_at", models.DateTimeField(verbose_name="raised at")),
                ("resolved_at", models.DateTimeField(blank=True, null=True, verbose_name="resolved at")),
            ],
            options={
                "verbose_name": "integrity alert",
                "verbose_name_plural": "integrity alerts",
                "ordering": ["-raised_at"],
            },
        ),
    ]
