"""The notifications page, email preferences and one-click unsubscribe; and the forum's keeping-up buttons and
lists (watch, bookmark, my posts, my bookmarks), which live here beside the notifications they lead to."""

import posixpath
from functools import lru_cache

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from community.extensions import csrf
from community.forums import notify as keeping_up
from community.forums import services as forums
from community.permissions import login_required, member_required, public
from community.refusals import Refusal, show_on_form
from community.security import safe_next_url

from . import bp, services
from .forms import EmailPreferenceForm

# Notifications --------------------------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def index():
    """Everything we have told the person, newest first; unread ones marked."""
    page = services.list_notifications(current_user, request.args.get("page", 1, type=int))
    return render_template("notifications/index.html", notifications=page,
                           email_mode=services.get_email_mode(current_user.id))


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    newest_seen = request.form.get("up_to", type=int)
    if newest_seen is not None:
        # Ids fit the database's integer; a bound beyond it (a tampered form) bounds nothing more.
        newest_seen = min(max(newest_seen, 0), 2**31 - 1)
    if services.mark_read(current_user, up_to_id=newest_seen):
        flash("All your notifications are marked as read.", "success")
    return redirect(url_for("notifications.index"))


@bp.get("/notifications/<int:notification_id>/open", endpoint="open")
@login_required
def open_notification(notification_id):
    """Follow a notification's link: it is marked read on the way."""
    url = services.open_notification(current_user, notification_id)
    if url is None:
        abort(404)
    return redirect(safe_next_url(url, url_for("notifications.index")))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def email_settings():
    """How often we email the person about notifications: off, at once, or a daily digest."""
    form = EmailPreferenceForm()
    if request.method == "GET":
        form.email_mode.data = services.get_email_mode(current_user.id)
    if form.validate_on_submit():
        try:
            services.set_email_mode(current_user.id, form.email_mode.data)
        except Refusal as refusal:
            show_on_form(form, refusal)
        else:
            flash({"off": "Saved. We will not email you about notifications.",
                   "instant": "Saved. We will email you each time there is something new.",
                   "daily": "Saved. We will email you once a day when there is something new."}
                  [form.email_mode.data], "success")
            return redirect(url_for("notifications.email_settings"))
    return render_template("notifications/email_settings.html", form=form)


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@public
@csrf.exempt  # RFC 8058: mail programs POST "List-Unsubscribe=One-Click" with no page and no token of ours
def unsubscribe(token):
    """The link in every notification email: GET asks (one button); POST turns the emails off, no login needed."""
    g.personal_data = True  # never cached: the page names whose emails these are
    if request.method == "POST":
        user = services.unsubscribe(token)
        if user is None:
            return render_template("notifications/unsubscribe_invalid.html"), 400
        return render_template("notifications/unsubscribed.html")
    user = services.user_for_unsubscribe_token(token)
    if user is None:
        return render_template("notifications/unsubscribe_invalid.html"), 400
    return render_template("notifications/unsubscribe.html", token=token,
                           already_off=services.get_email_mode(user.id) == "off")


@bp.app_template_filter("from_here")
def relative_to_this_page(path: str) -> str:
    """A site path written relative to the page being shown ("/forums/p/3/bookmark" seen from /forums/t/1 is
    "../p/3/bookmark"): the same address, fewer bytes, for buttons repeated on every post of a page that must stay
    within the 60 KB budget. Browsers resolve it against the page's own address, which is this request's."""
    here = request.script_root + request.path
    return _relative(path, here if here.endswith("/") else posixpath.dirname(here))


@lru_cache(maxsize=4096)  # posixpath.relpath is slow, and a page asks for the same few dozen again and again
def _relative(path: str, folder: str) -> str:
    return posixpath.relpath(path, folder) + ("/" if path.endswith("/") and path != "/" else "")


# Keeping up with the forums ---------------------------------------------------------------------------------

def _back(fallback: str) -> str:
    return safe_next_url(request.form.get("next"), fallback)


@bp.get("/forums/mine")
@member_required
def my_posts():
    """The member's own posts, newest first."""
    page = keeping_up.my_posts(current_user, request.args.get("page", 1, type=int))
    return render_template("notifications/my_posts.html", posts=page, post_path=keeping_up.post_path)


@bp.get("/forums/bookmarks")
@member_required
def bookmarks():
    """The posts the member bookmarked, most recent first."""
    page = keeping_up.my_bookmarks(current_user, request.args.get("page", 1, type=int))
    return render_template("notifications/bookmarks.html", posts=page, post_path=keeping_up.post_path)


@bp.post("/forums/t/<int:thread_id>/watch")
@member_required
def watch_thread(thread_id):
    thread = forums.get_thread(current_user, thread_id)
    keeping_up.watch_thread(current_user, thread)
    flash("You are watching this thread. We will tell you about new replies.", "success")
    return redirect(_back(keeping_up.thread_path(thread)))


@bp.post("/forums/t/<int:thread_id>/unwatch")
@member_required
def unwatch_thread(thread_id):
    thread = forums.get_thread(current_user, thread_id)
    keeping_up.unwatch_thread(current_user, thread)
    flash("You are no longer watching this thread.", "success")
    return redirect(_back(keeping_up.thread_path(thread)))


@bp.post("/forums/<category_slug>/watch")
@member_required
def watch_category(category_slug):
    category = forums.get_category(current_user, category_slug)
    keeping_up.watch_category(current_user, category)
    flash(f"You are watching “{category.name}”. We will tell you about new threads in it.", "success")
    return redirect(_back(keeping_up.category_path(category)))


@bp.post("/forums/<category_slug>/unwatch")
@member_required
def unwatch_category(category_slug):
    category = forums.get_category(current_user, category_slug)
    keeping_up.unwatch_category(current_user, category)
    flash(f"You are no longer watching “{category.name}”.", "success")
    return redirect(_back(keeping_up.category_path(category)))


@bp.post("/forums/p/<int:post_id>/bookmark")
@member_required
def bookmark_post(post_id):
    post = forums.get_post(current_user, post_id)
    if keeping_up.bookmark_post(current_user, post):
        flash("Bookmarked. You will find it in your bookmarks.", "success")
    else:
        flash("That post cannot be bookmarked: it is no longer there to read.", "error")
    return redirect(_back(keeping_up.post_path(post)))


@bp.post("/forums/p/<int:post_id>/unbookmark")
@member_required
def unbookmark_post(post_id):
    # No visibility check: a bookmark of a post since hidden must still be removable (the bookmarks page says
    # where to come back to; the thread page's button comes back to the post).
    if keeping_up.unbookmark_post(current_user, post_id):
        flash("Bookmark removed.", "success")
    return redirect(_back(url_for("forums.post", post_id=post_id)))
