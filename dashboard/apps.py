from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "OpenTrain dashboard"

    def ready(self):
        from dashboard import checks  # noqa: F401  (registers the system checks)
