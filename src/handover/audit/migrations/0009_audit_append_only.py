# Each chain numbers its rows once; the rows waiting to be sealed are indexed; and on PostgreSQL a trigger refuses
# UPDATE and DELETE of audit rows, whoever asks, but for sealing a row once (filling in its number and seals,
# nothing else changed). Only the table's owner can disable it (docs/security.md). TRUNCATE is not a row
# operation and is left to the database role's privileges, so a test database can still be emptied between tests.

from django.db import migrations, models

FUNCTION = "handover_audit_refuse_change"
TRIGGER = "audit_auditevent_append_only"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("audit", "AuditEvent")._meta.db_table)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.sequence IS NULL AND NEW.sequence IS NOT NULL
               AND to_jsonb(NEW) - 'sequence' - 'previous_hash' - 'hash'
                   = to_jsonb(OLD) - 'sequence' - 'previous_hash' - 'hash' THEN
                RETURN NEW;  -- sealing a row that has no seal yet, and changing nothing else
            END IF;
            RAISE EXCEPTION 'The audit trail is append-only: % of an audit row refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """,
        None,  # no parameters: the % in RAISE is PostgreSQL's, not a placeholder
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("audit", "AuditEvent")._meta.db_table)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0008_seal_audit_chain"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("authority", "sequence"), name="audit_chain_sequence_unique"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(condition=models.Q(("sequence", None)), fields=["authority"], name="audit_unsealed"),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
