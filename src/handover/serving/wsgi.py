"""The WSGI application `handover serve --production` runs: Django's, inside the access log.

The protocol file is read and compiled here, once, and every view imported (through the URLconf), before the
first request: `handover serve --production` imports this module before granian forks its workers, so they
inherit all of it instead of each paying (seconds) on the first page it serves. A protocol file that does not
load stops the server here, with its error, rather than failing every page."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handover.config.settings")

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import reverse

from handover.serving.access import AccessLog

application = AccessLog(get_wsgi_application())

from handover.organisation.protocol import protocol_named  # noqa: E402  (a model import: after Django's setup)

protocol_named(settings.HANDOVER_PROTOCOL)
reverse("health")  # imports the URLconf, and with it every view and the API
