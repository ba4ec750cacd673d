"""Every route of the app, as each kind of visitor: it serves or refuses exactly as community/permissions.py says.

What each route should do is worked out from the rule its decorator left on the view (`access`, and
`open_when_suspended`), never from a list kept here, so a route added later is checked without a line written for
it, and one that forgets its rule stops the app from starting at all.
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from community.accounts import sessions
from community.forums import services as forums
from community.moderation import services as moderation
from community.permissions import (
    ACCESS_LEVELS,
    MissingAccessRule,
    check_every_view_has_access,
    has_member_access,
    is_admin,
    is_moderator,
    is_suspended,
    public,
)
from tests.conftest import csrf_token_from, database_url_for, fresh_schema, make_test_app
from tests.factories import make_member, turn_on_two_factor
from tests.site_tour import fill_url, make_people, url_values

ROLES = ("anonymous", "registered", "member", "suspended", "moderator", "admin")

# What a visitor gets: the page (or whatever the route does with an empty form), or one of the refusals.
SERVES = "serves"
LOG_IN = "sent to log in"
JOIN = "sent to the membership page"
STANDING = "sent to their notice (/standing)"
FORBIDDEN = "refused (403)"


def expected_outcome(view, role: str, method: str) -> str:
    """What the rules say `role` gets from `view`, from its access rule alone."""
    access = view.access
    if access == "public":
        return SERVES
    if role == "anonymous":
        return JOIN if access == "member" else LOG_IN
    if role == "suspended" and not getattr(view, "open_when_suspended", False):
        # Kept to their own data: a page sends them to their notice; anything else is refused.
        return STANDING if method == "GET" else FORBIDDEN
    if access == "login":
        return SERVES
    if access == "member":
        return SERVES if role in ("member", "moderator", "admin") else JOIN
    allowed = {"moderator": ("moderator", "admin"), "admin": ("admin",)}[access]
    return SERVES if role in allowed else FORBIDDEN


def outcome_of(response, url: str, method: str) -> str:
    """How the app answered: a refusal is a 401/403, or a redirect to log in or to join that brings the person back
    to `url` (next=...), or (for a page) to the suspended member's notice. Anything else serves: a page, a
    redirect elsewhere, a 400 for an empty form, a 404 for an id that is not theirs."""
    if response.status_code in (401, 403):
        return FORBIDDEN
    if response.status_code not in (301, 302, 303, 307, 308):
        return SERVES
    target = urlsplit(response.location)
    comes_back = parse_qs(target.query).get("next") == [url]
    if target.path == "/login" and comes_back:
        return LOG_IN
    if target.path == "/membership" and comes_back:
        return JOIN
    if target.path == "/standing" and method == "GET":
        return STANDING
    return SERVES


# The routes, read when the tests are collected, so each case is named after its route and role. -------------

def _routes() -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) for every route but the static files: GET where the route has a page, else POST."""
    app = make_test_app("sqlite://", Path("instance"))
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            routes.append(("GET" if "GET" in rule.methods else "POST", rule.rule, rule.endpoint))
    return sorted(routes, key=lambda route: (route[1], route[0]))


ROUTES = _routes()


@dataclass
class Site:
    app: Flask
    people: dict
    values: dict  # for the route parameters
    own_values: dict  # per role, values that are theirs (their own post): an object rule says "not yours" otherwise


@pytest.fixture(scope="module")
def site(database_backend, tmp_path_factory, request):
    """One app and database for every case here (a fresh one each would take minutes): the cast of
    tests/site_tour.py, plus a member suspended for a day, a post of each staff member's own, and a bystander, whose
    id fills the admin routes' user_id so no admin action touches the people being tested."""
    directory = tmp_path_factory.mktemp("route-permissions")
    # Each role posts to every write route within a minute or so, more than the site-wide write limit lets one
    # person do (that limit is tested in tests/core/test_write_limits.py).
    app = make_test_app(database_url_for(database_backend, directory, request), directory,
                        WRITE_LIMIT="10000 per minute")
    with fresh_schema(app):
        people = make_people()
        people["suspended"] = make_member()
        moderation.act_on_member(people["moderator"], people["suspended"], "suspend", "Testing the rules.", days=1)
        bystander = make_member()
        thread = forums.get_thread(people["admin"], people["forum"]["thread_id"])
        own_values = {role: {"post_id": forums.create_post(people[role], thread, f"A reply by the {role}.").id}
                      for role in ("moderator", "admin")}
        yield Site(app, people, {**url_values(people), "user_id": bystander.id}, own_values)


def _put_everyone_back(people) -> None:
    """An earlier case may have turned a staff member's two-factor off or lifted the suspension (each is a button
    that works on an empty form): put them back, then check everyone is still who their role says."""
    for role in ("moderator", "admin"):
        if not people[role].has_two_factor:
            turn_on_two_factor(people[role])
    if not is_suspended(people["suspended"]):
        moderation.act_on_member(people["moderator"], people["suspended"], "suspend", "Testing the rules.", days=1)
    registered, member, moderator, admin = (people[role] for role in ("registered", "member", "moderator", "admin"))
    assert not has_member_access(registered) and not is_moderator(registered), "registered changed"
    assert has_member_access(member) and not is_moderator(member) and not is_suspended(member), "member changed"
    assert is_moderator(moderator) and not is_admin(moderator), "moderator changed"
    assert is_admin(admin), "admin changed"


def _client_for(app, user):
    """A new browser, logged in as `user` with a log-in of its own (through the session service, as the log-in
    form would, without a password hash and a two-factor code per case), so one case logging out or ending sessions
    leaves the next case alone."""
    client = app.test_client()
    token = None
    if user is not None:
        token = sessions.start_session(user, remembered=False)
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = token, True
    return client, token


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "rule", "endpoint"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES])
def test_route_serves_or_refuses_as_its_access_rule_says(site, method, rule, endpoint, role):
    view = site.app.view_functions[endpoint]
    _put_everyone_back(site.people)
    user = None if role == "anonymous" else site.people[role]
    client, token = _client_for(site.app, user)
    url = fill_url(rule, {**site.values, **site.own_values.get(role, {})})
    if method == "GET":
        response = client.get(url)
    else:
        # An empty form, with the CSRF token a page of ours would have given (else every POST is a 400).
        response = client.post(url, data={"csrf_token": csrf_token_from(client.get("/contact").text)})
    if token is not None:
        sessions.end_session(token)
    expected = expected_outcome(view, role, method)
    got = outcome_of(response, url, method)
    assert got == expected, (
        f"{method} {url} ({endpoint}, access={view.access!r}, "
        f"open_when_suspended={getattr(view, 'open_when_suspended', False)}) for {role}: expected {expected}, "
        f"got {got}: {response.status_code} {response.location or ''}"
        + ("\n(If that 403 is an object's rule, such as \"not your post\", give the role an object of its own in "
           "`site`'s own_values.)" if got == FORBIDDEN else ""))


def test_every_view_says_who_may_open_it(site):
    missing = sorted(endpoint for endpoint, view in site.app.view_functions.items()
                     if endpoint != "static" and getattr(view, "access", None) not in ACCESS_LEVELS)
    assert not missing, f"views without an access rule from community.permissions: {missing}"
    assert len(ROUTES) > 50, "too few routes found for this test to mean anything"


def test_an_app_with_a_view_that_says_nothing_does_not_start():
    app = Flask(__name__)
    app.add_url_rule("/open", "open", public(lambda: "open to all"))
    check_every_view_has_access(app)
    app.add_url_rule("/forgotten", "forgotten", lambda: "who may see this?")
    with pytest.raises(MissingAccessRule, match="forgotten"):
        check_every_view_has_access(app)
