"""Signals the children app sends for what other apps act on without this one knowing them."""

from django.dispatch import Signal

# A contact received at the front door about a child open to another team was passed to that team. Sent with
# `contact` and `now`, inside the transaction that recorded it; the notifications app tells the team.
contact_passed_on = Signal()
