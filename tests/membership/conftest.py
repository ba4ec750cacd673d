"""The membership tests' app, with Stripe configured (pointing at localstripe; see tests/stripe_fake.py)."""

import pytest

from tests.conftest import fresh_schema, make_test_app


@pytest.fixture
def stripe_app(database_url, tmp_path, stripe_settings, fake_stripe):
    """The app with Stripe configured (pointing at localstripe)."""
    with fresh_schema(make_test_app(database_url, tmp_path, **stripe_settings)) as app:
        yield app
