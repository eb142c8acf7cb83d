import pytest


@pytest.fixture
def throttle_rates(settings):
    """Override some DEFAULT_THROTTLE_RATES for one test (the throttles read them live)."""

    def override(**rates):
        current = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **current,
            "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
        }

    return override
