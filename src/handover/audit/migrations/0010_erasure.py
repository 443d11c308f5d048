# Erasure at the end of retention (docs/privacy.md): an audit row's payload (before, after, detail) may be erased
# once, with the child's record, keeping its SHA-256, which the seal now covers in the payload's place (chain
# version 2, audit/chain.py). This migration checks every sealed chain under version 1 and refuses to go on if
# one does not verify (run `handover audit verify` to see where); then reseals each chain under version 2, and
# on PostgreSQL lets the trigger allow that one erasure besides sealing.

from django.db import migrations, models

FUNCTION = "handover_audit_refuse_change"
BATCH = 2000


def reseal_v2(apps, schema_editor):
    from handover.audit.chain import GENESIS, seal, seal_v1

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    table = schema_editor.quote_name(AuditEvent._meta.db_table)
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:  # the resealing below is an UPDATE the old trigger refuses; it is put back at once after
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_auditevent_append_only")
    fields = (
        "pk", "authority_id", "sequence", "previous_hash", "hash", "at", "actor_id", "verb", "child_id",
        "object_type", "object_id", "before", "after", "detail",
    )
    for head in AuditChainHead.objects.order_by("chain"):
        rows = AuditEvent.objects.filter(sequence__isnull=False, sequence__lte=head.sequence)
        rows = rows.filter(authority_id=head.chain) if head.chain else rows.filter(authority=None)
        old_previous, new_previous, expected, resealed = GENESIS, GENESIS, 1, []
        for pk, authority, sequence, previous, digest, *content in rows.order_by("sequence").values_list(
            *fields
        ).iterator(chunk_size=BATCH):
            at, actor, verb, child, object_type, object_id, before, after, detail = content
            fields_v1 = dict(
                authority=authority, sequence=sequence, previous_hash=previous, at=at, actor=actor, verb=verb,
                child=child, object_type=object_type, object_id=object_id, before=before, after=after,
                detail=detail,
            )
            if sequence != expected or previous != old_previous or seal_v1(**fields_v1) != digest:
                raise RuntimeError(
                    f"audit chain {head.chain} does not verify at row {pk} (number {sequence}): not moving it to "
                    "version 2; run `handover audit verify` on the previous release to see what changed"
                )
            fields_v1["previous_hash"] = new_previous
            new = seal(**fields_v1)
            resealed.append(AuditEvent(pk=pk, previous_hash=new_previous, hash=new))
            old_previous, new_previous, expected = digest, new, sequence + 1
            if len(resealed) >= BATCH:
                AuditEvent.objects.bulk_update(resealed, ["previous_hash", "hash"], batch_size=500)
                resealed = []
        if expected - 1 != head.sequence or old_previous != head.hash:
            raise RuntimeError(f"audit chain {head.chain} does not end where its head says: not moving it on")
        AuditEvent.objects.bulk_update(resealed, ["previous_hash", "hash"], batch_size=500)
        head.hash = new_previous
        head.save(update_fields=["hash"])
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_auditevent_append_only")
    # Rows still waiting for their seal keep waiting: `audit_seal` seals them under version 2.


SEALING = """
            IF TG_OP = 'UPDATE' AND OLD.sequence IS NULL AND NEW.sequence IS NOT NULL
               AND to_jsonb(NEW) - 'sequence' - 'previous_hash' - 'hash'
                   = to_jsonb(OLD) - 'sequence' - 'previous_hash' - 'hash' THEN
                RETURN NEW;  -- sealing a row that has no seal yet, and changing nothing else
            END IF;"""
ERASING = """
            IF TG_OP = 'UPDATE' AND OLD.erased_payload_digest = '' AND NEW.erased_payload_digest <> ''
               AND NEW.before IS NULL AND NEW.after IS NULL AND NEW.detail = ''
               AND to_jsonb(NEW) - 'before' - 'after' - 'detail' - 'erased_payload_digest'
                   = to_jsonb(OLD) - 'before' - 'after' - 'detail' - 'erased_payload_digest' THEN
                RETURN NEW;  -- erasing the payload once, with the child's record; the seal covers its digest
            END IF;"""


def _function(schema_editor, allowed: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN{allowed}
            RAISE EXCEPTION 'The audit trail is append-only: % of an audit row refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """,
        None,  # no parameters: the % in RAISE is PostgreSQL's, not a placeholder
    )


def allow_erasure(apps, schema_editor):
    _function(schema_editor, SEALING + ERASING)


def refuse_erasure(apps, schema_editor):  # as migration 0009 left it
    _function(schema_editor, SEALING)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0009_audit_append_only'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='erased_payload_digest',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='verb',
            field=models.CharField(choices=[('child_viewed', "Viewed a child's record"), ('child_listed', 'Listed children'), ('child_created', "Created a child's record"), ('child_changed', "Changed a child's record"), ('child_closed', "Closed a child's record"), ('allocation_started', 'Started an allocation'), ('allocation_ended', 'Ended an allocation'), ('transfer_proposed', 'Proposed a transfer'), ('transfer_action', 'Took a transfer action'), ('transfer_signed_off', 'Signed off a transfer'), ('transfer_viewed', 'Viewed a transfer'), ('remedial_action', 'Recorded a remedial action'), ('case_requested', 'Asked for a case'), ('bulk_transfer', 'Ran a bulk transfer'), ('import', 'Imported records'), ('document_written', 'Wrote a document'), ('document_read', 'Read or downloaded a document'), ('staff_changed', "Changed a member of staff's record"), ('protocol_published', 'Published a protocol version'), ('protocol_migrated', 'Moved a transfer to another protocol version'), ('meeting_scheduled', 'Scheduled a meeting sitting'), ('sheet_compiled', 'Compiled an early warning sheet'), ('escalation_raised', 'Raised an escalation'), ('escalation_acknowledged', 'Acknowledged an escalation'), ('escalation_resolved', 'Resolved an escalation'), ('notification_preference', 'Chose how to be told'), ('letter_posted', 'Sent a letter by post'), ('subject_access', "Exported a child's record for a subject access request"), ('child_erased', "Erased a child's record at the end of its retention period"), ('sweep', 'Ran the sweep')], max_length=40),
        ),
        migrations.RunPython(reseal_v2, migrations.RunPython.noop),
        migrations.RunPython(allow_erasure, refuse_erasure),
    ]
