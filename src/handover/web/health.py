"""The health check a load balancer or orchestrator polls: is the database reachable and fully migrated?

Open to anyone (a probe has no session), so it says nothing but "ok" or what failed: no child's data, no
version, no error text. Never cached (and the response is `no-store`), never audited, reads no session."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Once every migration is seen applied, this process need not look again: the schema does not go back while
# it runs (a deploy that migrates also restarts the workers). Until then each probe looks.
_migrated = False


@never_cache
@require_safe
def health(request):
    database = _database()
    if database != "ok":
        return JsonResponse({"status": "unavailable", "database": database}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _database() -> str:
    global _migrated
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        if _migrated:
            return "ok"
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        logger.exception("Health check: the database cannot be reached")
        return "unreachable"
    if pending:
        apps = sorted({migration.app_label for migration, _ in pending})
        logger.error("Health check: %d migrations not applied (%s)", len(pending), ", ".join(apps))
        return "migrations not applied"
    _migrated = True
    return "ok"
