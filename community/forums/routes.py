"""Forum pages: categories, threads, writing and reacting (members only); moderators' thread actions; the admins'
category screens. Thin views: they read the form, call one service and render or redirect."""

import logging
from functools import lru_cache

from flask import Flask, abort, current_app, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from community.action_limits import ActionLimit
from community.extensions import db, limiter
from community.forms import ButtonForm, new_form_token
from community.moderation.services import show_crisis_support
from community.pages.guidelines import guidelines_required
from community.pages.services import has_accepted_current_guidelines
from community.permissions import admin_required, is_moderator, member_required, moderator_required
from community.refusals import show_on_form

from . import bp, notify, services
from .forms import CategoryForm, EditPostForm, MoveThreadForm, ReplyForm, ThreadForm
from .models import REACTIONS

log = logging.getLogger(__name__)

# New threads and replies, per member. Counted only for posts made (not previews or refused ones), and checked
# inside the view so that a refused post comes back with its words rather than as an error page.
POSTING_LIMIT = ActionLimit("forum-posting", "10 per minute;100 per hour")
TOO_MANY_POSTS = ("You have posted a lot in a short time, so this one has not been sent yet. Please wait a minute, "
                  "then choose Post again. Your words are still here.")
NEEDS_GUIDELINES = ("Before you post, please agree to our community guidelines: open them with the link below, agree "
                    "at the end, then come back and post. Your words are still here.")


def _member_key() -> str:
    return f"member:{current_user.id}" if current_user.is_authenticated else f"address:{request.remote_addr}"


@guidelines_required
def _guidelines_agreed():
    """None once the member has agreed to the current community guidelines; otherwise `guidelines_required`'s
    redirect to /guidelines, which brings them back to this page."""
    return None


def _agree_first():
    """Opening a writing page (GET) needs the guidelines agreed first. A form sent (POST) without it (the
    guidelines changed while they typed) is not sent away: it comes back with its words and a note instead."""
    return _guidelines_agreed() if request.method == "GET" else None


def _page_number() -> int:
    return request.args.get("page", 1, type=int)


def _post_url(post, page: int | None = None) -> str:
    """The thread page a post is on, scrolled to it; or, when its words suggest a crisis, to the help shown at
    the top of the page first (the post is just below)."""
    page = page or services.page_of_post(current_user, post)
    anchor = "help-now" if getattr(post, "crisis", False) else f"post-{post.number}"
    return url_for("forums.thread", thread_id=post.thread_id, page=page if page > 1 else None, _anchor=anchor)


class _Writing:
    """What a writing page shows besides its form: a preview, the contact details warning, the guidelines note."""

    def __init__(self):
        self.preview = None
        self.contact_warning = False
        self.needs_guidelines = False
        self.status = 200


def _write(form, save, posting: bool = True):
    """The shared steps of writing (new thread, reply, edit): check the form, preview, guidelines, the posting
    limit, then `save(allow_contact_details)`. Returns (what save returned or None, _Writing)."""
    writing = _Writing()
    if not form.validate_on_submit():
        writing.status = 400
        return None, writing
    if request.form.get("action") == "preview":
        writing.preview = services.render_post(form.body.data)
        return None, writing
    if posting and not has_accepted_current_guidelines(current_user):
        form.form_errors.append(NEEDS_GUIDELINES)
        writing.needs_guidelines, writing.status = True, 403
        return None, writing
    if posting and not POSTING_LIMIT.allows(current_user.id):
        form.form_errors.append(TOO_MANY_POSTS)
        writing.status = 429
        return None, writing
    try:
        result = save(bool(form.confirm_contact.data))
    except services.ContactDetailsFound:
        writing.contact_warning = True
        return None, writing
    except services.ForumError as refusal:
        show_on_form(form, refusal)
        writing.status = 400
        return None, writing
    if posting:
        POSTING_LIMIT.count(current_user.id)
    return result, writing


def _published(post_id: int, quoted_post_id: int | None = None) -> None:
    """Tell whoever should hear about a post now visible. The post is saved whatever happens here: a failure to
    notify is logged, not shown to the writer as if their post had failed."""
    try:
        notify.post_published(post_id, quoted_post_id)
    except Exception:  # noqa: BLE001
        log.exception("Could not send the notifications for post %s", post_id)
        # Whatever failed (the database going away, say) must not leave the session unusable for the rest of
        # the request: the post itself was committed already.
        db.session.rollback()


def _after_posting(post, quoted_post_id: int | None = None):
    if getattr(post, "repeated", False):
        # The same form again (a double tap, or sent again after a "may have been saved" page): already up.
        flash("Your post was already saved: here it is, once.", "info")
        return redirect(_post_url(post))
    if getattr(post, "crisis", False):
        # The post goes up (or waits) all the same: the writer is shown, first, where to find help now.
        show_crisis_support()
    if post.state == "visible":
        _published(post.id, quoted_post_id)
        flash("Your post is up. Thank you for sharing.", "success")
    else:
        flash("Thank you. Your post is waiting for a moderator to check it. Until then only you and the moderators "
              "can see it.", "success")
    return redirect(_post_url(post))


# Reading ---------------------------------------------------------------------------------------------------------

@bp.route("/forums")
@member_required
def index():
    return render_template("forums/index.html", categories=services.visible_categories(current_user))


@bp.route("/forums/<category_slug>")
@member_required
def category(category_slug):
    category = services.get_category(current_user, category_slug)
    listing = services.category_threads(current_user, category, _page_number())
    return render_template("forums/category.html", category=category, listing=listing,
                           watching=notify.is_watching_category(current_user, category.id))


# A post's links (quote, who reacted, edit, bookmark...) differ from post to post only by the post's id: the thread
# page works each one out once, as a pattern ("/forums/p/%d/edit"), rather than through url_for for every link of
# every post. The patterns are the same for every thread but for its id, so they are worked out once per app (and
# prefix the site is mounted under) with a stand-in for the thread's id too. The stand-in ids are far beyond any
# real one (PostgreSQL's ids are 32-bit), so neither is ever part of a real id.
_STAND_IN_ID = 9_876_543_210_123
_THREAD_STAND_IN_ID = 9_876_543_210_321


def _post_address(endpoint: str, **values) -> str:
    """The address of `endpoint` for any post (`values` naming it _STAND_IN_ID), with %d where its id goes."""
    address = url_for(endpoint, **values).replace("%", "%%")
    stand_in = str(_STAND_IN_ID)
    if address.count(stand_in) != 1:
        raise ValueError(f"{endpoint}: no single place for the post's id in {address}")
    return address.replace(stand_in, "%d")


@lru_cache(maxsize=16)  # one entry per app and prefix: a process has one app, a test run a few at a time
def _thread_page_addresses(app: Flask, script_root: str) -> tuple[dict[str, str], str]:
    """The post address patterns (see _post_address) and the reply address, for the thread _THREAD_STAND_IN_ID."""
    post_id, thread_id = _STAND_IN_ID, _THREAD_STAND_IN_ID
    patterns = {"quote": _post_address("forums.reply", thread_id=thread_id, quote=post_id, _anchor="body"),
                "reactions": _post_address("forums.reactions", post_id=post_id),
                "edit": _post_address("forums.edit_post", post_id=post_id),
                "delete": _post_address("forums.delete_post", post_id=post_id),
                "bookmark": _post_address("notifications.bookmark_post", post_id=post_id),
                "unbookmark": _post_address("notifications.unbookmark_post", post_id=post_id),
                "history": _post_address("forums.history", post_id=post_id),
                "flag": _post_address("moderation.flag", kind="forum_post", target_id=post_id)}
    reply = url_for("forums.reply", thread_id=thread_id)
    stand_in = str(thread_id)
    if reply.count(stand_in) != 1 or [name for name, pattern in patterns.items()
                                      if pattern.count(stand_in) != (name == "quote")]:
        raise ValueError("no single place for the thread's id in its addresses")
    return patterns, reply


def _post_addresses(thread_id: int) -> dict[str, str]:
    """The patterns of the addresses each post of a thread page links to (see _post_address)."""
    patterns, _reply = _thread_page_addresses(current_app._get_current_object(), request.script_root)
    return {**patterns, "quote": patterns["quote"].replace(str(_THREAD_STAND_IN_ID), str(thread_id))}


def _reply_address(thread_id: int) -> str:
    """url_for("forums.reply", thread_id=thread_id), from the pattern worked out once."""
    _patterns, reply = _thread_page_addresses(current_app._get_current_object(), request.script_root)
    return reply.replace(str(_THREAD_STAND_IN_ID), str(thread_id))


# The reply form under a thread is the same for every reader but for three values: the reader's CSRF token, a new
# one-time form token and the thread's reply address. Drawn through the shared form macros it costs as much as
# five posts, so it is drawn once per app with stand-ins for those three, and each page fills in its own.
_EDITOR_STAND_INS = {"csrf": "csrf-stand-in-8c41d7", "form_token": "form-token-stand-in-8c41d7",
                     "action": "/reply-address-stand-in-8c41d7"}


def _draw_reply_editor() -> str:
    """The thread page's reply form (forums/_editor.html) with _EDITOR_STAND_INS in place of its values."""
    form = ReplyForm(formdata=None, form_token=_EDITOR_STAND_INS["form_token"])
    form.csrf_token.current_token = _EDITOR_STAND_INS["csrf"]
    html = str(get_template_attribute("forums/_editor.html", "editor")(form, {}, _EDITOR_STAND_INS["action"],
                                                                        "Post reply"))
    for name, stand_in in _EDITOR_STAND_INS.items():
        if html.count(stand_in) != 1:
            raise ValueError(f"the reply editor has no single place for its {name}")
    return html


@lru_cache(maxsize=16)  # one drawing per app and prefix (its links): a process has one app, a test run a few
def _kept_reply_editor(app: Flask, script_root: str) -> str:
    return _draw_reply_editor()


def _reply_editor(thread_id: int) -> Markup:
    """The reply form for this reader and thread: the drawing kept for this app, with their values filled in
    (drawn afresh while templates reload, so a developer's change shows at once)."""
    app = current_app._get_current_object()
    drawn = _draw_reply_editor() if app.jinja_env.auto_reload else _kept_reply_editor(app, request.script_root)
    html = (drawn.replace(_EDITOR_STAND_INS["action"], escape(_reply_address(thread_id)))
            .replace(_EDITOR_STAND_INS["form_token"], escape(new_form_token()))
            # The reader's own token, the one the page's other forms carry (generate_csrf keeps one a request).
            .replace(_EDITOR_STAND_INS["csrf"], escape(generate_csrf())))
    return Markup(html)  # noqa: S704 - our own template's output; the values filled in are escaped  # nosec B704


@bp.route("/forums/t/<int:thread_id>")
@member_required
def thread(thread_id):
    # The user itself, not the proxy, which finds the user again at each look (some 60 on this page).
    reader = current_user._get_current_object()
    view = services.thread_page(reader, thread_id, _page_number())
    move_form = None
    if is_moderator(reader):
        move_form = MoveThreadForm(formdata=None, category=view.thread.category_id)
        move_form.category.choices = [(each.id, each.name) for each in services.visible_categories(reader)]
    html = render_template("forums/thread.html", view=view, thread=view.thread, reading_member=reader,
                           reply_editor=lambda: _reply_editor(view.thread.id),
                           move_form=move_form, agreed=view.agreed,
                           can_reply=services.can_reply(reader, view.thread),
                           paused=services.writing_paused(reader), watching=view.watching,
                           post_addresses=_post_addresses(view.thread.id))
    # After rendering: a commit expires what the page shows, and reloading it would cost a query per post.
    services.mark_read(reader, view.thread.id, view.highest_number_shown, view.last_read)
    return html


@bp.route("/forums/t/<int:thread_id>/unread")
@member_required
def first_unread(thread_id):
    """To the first post the member has not read yet (or the thread's last page when they are up to date)."""
    page, number = services.first_unread_location(current_user, thread_id)
    return redirect(url_for("forums.thread", thread_id=thread_id, page=page if page > 1 else None,
                            _anchor=f"post-{number}" if number else None))


@bp.route("/forums/p/<int:post_id>")
@member_required
def post(post_id):
    """A post's lasting address (used in notifications): its thread's page, scrolled to it."""
    return redirect(_post_url(services.get_post(current_user, post_id)))


@bp.route("/forums/p/<int:post_id>/reactions")
@member_required
def reactions(post_id):
    post = services.get_post(current_user, post_id)
    if post.state != "visible":
        abort(404)
    return render_template("forums/reactions.html", post=post, names=services.reactions_by_kind(post),
                           reactions=REACTIONS)


@bp.route("/forums/p/<int:post_id>/history")
@moderator_required
def history(post_id):
    post = services.get_post(current_user, post_id)
    return render_template("forums/history.html", post=post, revisions=services.post_history(post))


# Writing ---------------------------------------------------------------------------------------------------------

@bp.route("/forums/<category_slug>/new", methods=["GET", "POST"])
@member_required
def new_thread(category_slug):
    category = services.get_category(current_user, category_slug)
    if (redirect_to_guidelines := _agree_first()) is not None:
        return redirect_to_guidelines
    form = ThreadForm()
    writing = _Writing()
    if request.method == "POST":
        post, writing = _write(form, lambda allow: services.create_thread(
            current_user, category, form.title.data, form.body.data, form.content_note.data or "",
            allow_contact_details=allow, form_token=form.form_token.data))
        if post is not None:
            return _after_posting(post)
    else:
        form.form_token.data = new_form_token()
    return render_template("forums/new_thread.html", category=category, form=form, writing=writing,
                           paused=services.writing_paused(current_user)), writing.status


@bp.route("/forums/t/<int:thread_id>/reply", methods=["GET", "POST"])
@member_required
def reply(thread_id):
    thread = services.get_thread(current_user, thread_id)
    paused = services.writing_paused(current_user)
    if request.method == "GET" and not paused and not services.can_reply(current_user, thread):
        flash("This thread is locked, so it takes no new replies. You can still read it.", "info")
        return redirect(url_for("forums.thread", thread_id=thread.id))
    if (redirect_to_guidelines := _agree_first()) is not None:
        return redirect_to_guidelines
    form = ReplyForm()
    writing = _Writing()
    if request.method == "GET":
        form.form_token.data = new_form_token()
        quoted = services.quotable_post(current_user, thread, request.args.get("quote", type=int))
        if quoted is not None:
            form.body.data = services.quote_text(quoted)
            form.quoted_post_id.data = str(quoted.id)
    else:
        quoted = services.quotable_post(current_user, thread, _number(form.quoted_post_id.data))
        post, writing = _write(form, lambda allow: services.create_post(
            current_user, thread, form.body.data, form.content_note.data or "",
            quoted_post_id=quoted.id if quoted else None, allow_contact_details=allow,
            form_token=form.form_token.data))
        if post is not None:
            return _after_posting(post, quoted.id if quoted else None)
    return render_template("forums/reply.html", thread=thread, form=form, writing=writing,
                           quoted=quoted, paused=paused), writing.status


def _number(text: str | None) -> int | None:
    # ASCII digits only: str.isdigit() also accepts "¹" and "①", which int() refuses.
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


@bp.route("/forums/p/<int:post_id>/edit", methods=["GET", "POST"])
@member_required
def edit_post(post_id):
    post = services.get_post(current_user, post_id)
    if not services.can_edit(current_user, post):
        abort(403)
    form = EditPostForm(title=post.thread.title, body=post.body, content_note=post.content_note)
    if post.number != 1:
        del form.title
    writing = _Writing()
    if request.method == "POST":
        was_pending = post.state == "pending"
        changed, writing = _write(form, lambda allow: services.edit_post(
            current_user, post, form.body.data, form.content_note.data or "",
            title=form.title.data if post.number == 1 else None, allow_contact_details=allow), posting=False)
        if changed is not None:
            if changed and getattr(post, "crisis", False):
                show_crisis_support()
            if not changed:
                flash("You did not change anything, so nothing was saved.", "info")
            elif post.state == "pending":
                flash("Saved. Your post is waiting for a moderator to check it again. Until then only you and the "
                      "moderators can see it.", "success")
            else:
                if was_pending:
                    _published(post.id)
                flash("Saved. Your post shows the new words, marked “edited”.", "success")
            return redirect(_post_url(post))
    return render_template("forums/edit_post.html", post=post, form=form, writing=writing,
                           paused=services.writing_paused(current_user)), writing.status


@bp.route("/forums/p/<int:post_id>/delete", methods=["GET", "POST"])
@member_required
def delete_post(post_id):
    post = services.get_post(current_user, post_id)
    if not services.can_delete(current_user, post):
        abort(403)
    form = ButtonForm()
    if form.validate_on_submit():
        services.delete_post(current_user, post)
        flash("Your post is deleted. Others now see “This post was deleted by its author.” in its place.", "success")
        return redirect(_post_url(post))
    return render_template("forums/delete_post.html", post=post, form=form)


# Reactions -------------------------------------------------------------------------------------------------------

@bp.route("/forums/t/<int:thread_id>/react", methods=["POST"])
@member_required
@limiter.limit("60 per minute;600 per hour", key_func=_member_key)
def react(thread_id):
    """Give or take back a reaction: the thread page's buttons send "react" as "<post id>:<kind>"."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    post_id, _, kind = (request.form.get("react") or "").partition(":")
    post = services.get_post(current_user, _number(post_id) or abort(400))
    if post.thread_id != thread_id:
        abort(404)
    try:
        services.toggle_reaction(current_user, post, kind)
    except services.ForumError as refusal:
        flash(refusal.message, "error")
    return redirect(_post_url(post, _number(request.form.get("page"))))


# Moderators ------------------------------------------------------------------------------------------------------

def _thread_action(thread_id: int, action) -> object:
    thread = services.get_thread(current_user, thread_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        action(thread)
    except services.ForumError as refusal:
        flash(refusal.message, "error")
    return redirect(url_for("forums.thread", thread_id=thread.id))


@bp.route("/forums/t/<int:thread_id>/lock", methods=["POST"])
@moderator_required
def lock_thread(thread_id):
    def lock(thread):
        services.set_thread_locked(current_user, thread, True)
        flash("The thread is locked. Members can read it but not reply; moderators still can.", "success")
    return _thread_action(thread_id, lock)


@bp.route("/forums/t/<int:thread_id>/unlock", methods=["POST"])
@moderator_required
def unlock_thread(thread_id):
    def unlock(thread):
        services.set_thread_locked(current_user, thread, False)
        flash("The thread is open again: members can reply.", "success")
    return _thread_action(thread_id, unlock)


@bp.route("/forums/t/<int:thread_id>/pin", methods=["POST"])
@moderator_required
def pin_thread(thread_id):
    def pin(thread):
        services.set_thread_pinned(current_user, thread, True)
        flash("The thread is pinned: it stays at the top of its category.", "success")
    return _thread_action(thread_id, pin)


@bp.route("/forums/t/<int:thread_id>/unpin", methods=["POST"])
@moderator_required
def unpin_thread(thread_id):
    def unpin(thread):
        services.set_thread_pinned(current_user, thread, False)
        flash("The thread is unpinned: it takes its place by last activity.", "success")
    return _thread_action(thread_id, unpin)


@bp.route("/forums/t/<int:thread_id>/move", methods=["POST"])
@moderator_required
def move_thread(thread_id):
    thread = services.get_thread(current_user, thread_id)
    form = MoveThreadForm()
    categories = {each.id: each for each in services.visible_categories(current_user)}
    form.category.choices = [(each.id, each.name) for each in categories.values()]
    if not form.validate_on_submit():
        flash("Choose the category to move this thread to.", "error")
    elif services.move_thread(current_user, thread, categories[form.category.data]):
        flash(f"The thread is now in “{categories[form.category.data].name}”.", "success")
    else:
        flash("The thread is already in that category.", "info")
    return redirect(url_for("forums.thread", thread_id=thread_id))


# Admins: categories ----------------------------------------------------------------------------------------------

def _category_or_404(category_id: int):
    return services.find_category(category_id) or abort(404)


@bp.route("/admin/forums")
@admin_required
def admin_categories():
    return render_template("forums/admin_categories.html", categories=services.all_categories())


@bp.route("/admin/forums/new", methods=["GET", "POST"])
@admin_required
def new_category():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = services.create_category(current_user, form.name.data, form.description.data or "",
                                                form.moderators_only.data)
        except services.ForumError as refusal:
            show_on_form(form, refusal)
        else:
            flash(f"“{category.name}” is made, at the end of the list.", "success")
            return redirect(url_for("forums.admin_categories"))
    return render_template("forums/admin_category.html", form=form, category=None), 400 if form.errors else 200


@bp.route("/admin/forums/<int:category_id>", methods=["GET", "POST"])
@admin_required
def edit_category(category_id):
    category = _category_or_404(category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            changed = services.update_category(current_user, category, form.name.data, form.description.data or "",
                                               form.moderators_only.data)
        except services.ForumError as refusal:
            show_on_form(form, refusal)
        else:
            flash(f"Saved “{category.name}”." if changed else "Nothing had changed, so nothing was saved.",
                  "success" if changed else "info")
            return redirect(url_for("forums.admin_categories"))
    return render_template("forums/admin_category.html", form=form, category=category), 400 if form.errors else 200


@bp.route("/admin/forums/<int:category_id>/move-up", methods=["POST"], defaults={"direction": "up"})
@bp.route("/admin/forums/<int:category_id>/move-down", methods=["POST"], defaults={"direction": "down"})
@admin_required
def move_category(category_id, direction):
    category = _category_or_404(category_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not services.move_category(current_user, category, direction):
        flash(f"“{category.name}” is already {'first' if direction == 'up' else 'last'}.", "info")
    return redirect(url_for("forums.admin_categories", _anchor=f"category-{category.id}"))


# Search ----------------------------------------------------------------------------------------------------------
# (Forum search, kept together at the end of the file: the service is community/forums/search.py.)

from . import search as search_service  # noqa: E402


@bp.route("/search")
@member_required
def search():
    """Full-text search over the posts the member may see. An empty box shows the form alone."""
    typed = request.args.get("q", "")
    query = search_service.clean_query(typed)
    results = search_service.search_posts(current_user, query, request.args.get("page", 1, type=int)) if query else None
    return render_template("forums/search.html", query=query, results=results,
                           shortened=len(" ".join(typed.split())) > search_service.MAX_QUERY_LENGTH,
                           max_length=search_service.MAX_QUERY_LENGTH)
