"""The sandbox's outbox: with no EMAIL_URL in sandbox mode, every e-mail the dashboard sends is
kept here and shown at /sandbox/outbox/ (to be built)."""

from django.core.mail.backends.locmem import EmailBackend


class OutboxBackend(EmailBackend):
    pass
