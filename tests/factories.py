"""Test data made through the services, never by inserting rows behind their back."""

import itertools
from datetime import timedelta

import pyotp

from community.accounts import services as accounts
from community.accounts import sessions, two_factor
from community.extensions import utcnow
from community.membership import services as membership

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def make_user(email: str | None = None, role: str = "registered", verified: bool = True,
              display_name: str = "Robin", password: str = PASSWORD, two_factor_on: bool | None = None):
    """An account; staff get two-factor sign-in (required for them) unless two_factor_on=False.

    With two-factor on, `user.spare_recovery_codes` holds its recovery codes, which the `login` fixture spends.
    """
    email = email or f"person{next(_numbers)}@example.org"
    if not verified:
        accounts.register(email, display_name, password)
        return accounts.find_user_by_email(email)
    user = accounts.create_verified_user(email, display_name, password, role)
    if two_factor_on if two_factor_on is not None else user.is_staff:
        turn_on_two_factor(user)
    return user


def turn_on_two_factor(user):
    """Set up an authenticator as the person would (in a browser session of theirs, then logged out)."""
    token = sessions.start_session(user, remembered=False)
    secret = two_factor.begin_setup(user.current_session)
    user.spare_recovery_codes = two_factor.confirm_setup(user, user.current_session, pyotp.TOTP(secret).now())
    sessions.end_session(token)
    return secret


def make_member(email: str | None = None, **kwargs):
    """A verified account with a paid-up subscription, as a Stripe webhook would leave it."""
    user = make_user(email, **kwargs)
    membership.apply_subscription_state(user, "active", utcnow() + timedelta(days=300), "test: paid",
                                        subscription_id=f"sub_test_{user.id}")
    return user
