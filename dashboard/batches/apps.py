from django.apps import AppConfig


class BatchesConfig(AppConfig):
    name = "dashboard.batches"
    label = "batches"
    verbose_name = "Batch milestones"
