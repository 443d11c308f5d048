# The hash chain's columns and heads (audit/chain.py). Existing rows are sealed by 0008; 0009 then adds the
# chain's unique numbering and, on PostgreSQL, the trigger that refuses UPDATE and DELETE. Three migrations, as
# PostgreSQL will not alter a table in the transaction that updated its rows ("pending trigger events").

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_staff_changed_verb"),
        ("organisation", "0003_staff_registration"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="authority",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organisation.authority",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("chain", models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
                (
                    "authority",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="organisation.authority",
                    ),
                ),
            ],
        ),
    ]
