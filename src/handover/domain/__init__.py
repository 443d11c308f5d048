"""The pure-Python domain core: protocol model, loader, calendar, routing, deadlines, readiness.

Nothing in this package imports Django; it takes a calendar and dates as inputs and never fetches anything.
"""
