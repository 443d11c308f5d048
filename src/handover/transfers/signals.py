"""Signals the transfers app sends for changes that no model save announces."""

from django.dispatch import Signal

# A transfer's work changed in bulk (its deadlines replaced with bulk_create, which sends no post_save).
# Sent with `transfer_ids`. The sweep listens, to judge the transfer again on its next run.
work_changed = Signal()

# A workflow action was taken (transfers.services.transfer_act), sent inside its transaction with `transfer`,
# `event` (the TransferEvent written), `actor` and `now`. The documents app listens: the Case Transfer Summary on
# file records the handover meeting and the day the case moved.
transfer_acted = Signal()
