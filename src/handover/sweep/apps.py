from django.apps import AppConfig


class SweepConfig(AppConfig):
    name = "handover.sweep"
    label = "sweep"
    verbose_name = "The sweep"

    def ready(self) -> None:
        from handover.sweep import watch

        watch.connect()
