"""Test data made through the services, never by inserting rows behind their back."""

import itertools
from datetime import timedelta

from community.accounts import services as accounts
from community.extensions import utcnow
from community.membership import services as membership

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def make_user(email: str | None = None, role: str = "registered", verified: bool = True,
              display_name: str = "Robin", password: str = PASSWORD):
    email = email or f"person{next(_numbers)}@example.org"
    if verified:
        return accounts.create_verified_user(email, display_name, password, role)
    return accounts.register(email, display_name, password)


def make_member(email: str | None = None, **kwargs):
    """A verified account with a paid-up subscription, as a Stripe webhook would leave it."""
    user = make_user(email, **kwargs)
    membership.apply_subscription_state(user, "active", utcnow() + timedelta(days=300), "test: paid")
    return user
