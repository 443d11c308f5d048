"""Running Handover in production: the WSGI server behind `handover serve --production` (server.py), one JSON
access log line per request (access.py), and structured application logs carrying the request id (logs.py)."""
