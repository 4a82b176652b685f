"""What the mirror tells whoever listens, without knowing who: an account was synced, and the
worker's ticker ticked (every OT_SYNC_POLL_SECONDS, sooner while a write is unclear). The
notifications listen (`dashboard.notify.tasks`); the mirror imports nothing above it."""

from django.dispatch import Signal

# Sent by the sync task after an account's sync ran (sender: the Account).
account_synced = Signal()
# Sent by the worker's ticker after it queued the periodic work (sender: None).
worker_ticked = Signal()
