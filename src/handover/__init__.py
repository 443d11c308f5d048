"""Handover: executable case transfer protocols for children's social care."""

__version__ = "0.1.0"
