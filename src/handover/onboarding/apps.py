from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    """Setting an authority up: importing its teams, staff and caseload, or building a synthetic demo one. It
    sits above the apps it fills, so they never import it."""

    name = "handover.onboarding"
    label = "onboarding"
