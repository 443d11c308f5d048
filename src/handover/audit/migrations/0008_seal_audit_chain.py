# Seal the rows written before the hash chain, in the order they were written (pk), into their authority's
# chain: the child's authority, else the acting staff member's, else the record's, else the chain of rows tied
# to no authority (as audit/services.py decides for new rows). `handover audit verify` then passes on an
# upgraded database; what was changed before this ran cannot be seen, only what is changed after.

from django.db import migrations

BATCH = 2000


def seal_existing(apps, schema_editor):
    from handover.audit.chain import GENESIS
    from handover.audit.chain import seal_v1 as seal  # the chain's version when this ran; 0010 moved it on

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    StaffMember = apps.get_model("organisation", "StaffMember")
    staff_authority = dict(StaffMember.objects.values_list("user_id", "authority_id"))
    record_authority: dict[tuple[str, str], int | None] = {}

    def of_record(label, object_id):
        if not label or not object_id:
            return None
        if (label, object_id) not in record_authority:
            found = None
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError):
                model = None
            if model is not None and model._meta.label == "organisation.Authority":
                found = int(object_id) if object_id.isdigit() else None
            elif model is not None and any(f.name == "authority" for f in model._meta.concrete_fields):
                found = model.objects.filter(pk=object_id).values_list("authority_id", flat=True).first()
            record_authority[label, object_id] = found
        return record_authority[label, object_id]

    heads: dict[int, list] = {}  # chain -> [authority id, last number, last seal]
    last = 0
    fields = (
        "pk", "at", "actor_id", "verb", "child_id", "child__authority_id", "object_type", "object_id",
        "before", "after", "detail",
    )
    while True:
        rows = list(AuditEvent.objects.filter(pk__gt=last).order_by("pk").values_list(*fields)[:BATCH])
        if not rows:
            break
        sealed = []
        for pk, at, actor, verb, child, child_authority, object_type, object_id, before, after, detail in rows:
            if child is not None:
                authority = child_authority
            elif actor is not None and actor in staff_authority:
                authority = staff_authority[actor]
            else:
                authority = of_record(object_type, object_id)
            head = heads.setdefault(authority or 0, [authority, 0, GENESIS])
            sequence, previous = head[1] + 1, head[2]
            digest = seal(
                authority=authority,
                sequence=sequence,
                previous_hash=previous,
                at=at,
                actor=actor,
                verb=verb,
                child=child,
                object_type=object_type,
                object_id=object_id,
                before=before,
                after=after,
                detail=detail,
            )
            head[1], head[2] = sequence, digest
            sealed.append(
                AuditEvent(pk=pk, authority_id=authority, sequence=sequence, previous_hash=previous, hash=digest)
            )
        AuditEvent.objects.bulk_update(sealed, ["authority", "sequence", "previous_hash", "hash"], batch_size=500)
        last = rows[-1][0]
    AuditChainHead.objects.bulk_create(
        AuditChainHead(chain=key, authority_id=authority, sequence=sequence, hash=digest)
        for key, (authority, sequence, digest) in heads.items()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_audit_chain"),
        ("children", "0001_initial"),
    ]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
