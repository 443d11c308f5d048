from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "handover.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from handover.children.signals import contact_passed_on
        from handover.notifications.contacts import contact_passed_on_notify

        contact_passed_on.connect(contact_passed_on_notify, dispatch_uid="notifications_contact_passed_on")
