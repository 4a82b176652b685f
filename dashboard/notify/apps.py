from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "dashboard.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self):
        # The mirror tells, by signal, when an account was synced and when the worker ticks: the
        # notifications listen from above, and the mirror never imports them.
        from dashboard.notify import tasks  # noqa: F401
