"""The author's side of stories: their list (/my/stories), writing and editing (with a server autosave when
scripts are on), choosing who may read each story (with the consent to publish), withdrawing, and the public
guide to telling your story.

Every change goes through community.stories.services; a refusal comes back beside its field with every word the
member typed. A story that is not the member's own answers 404, so a guessed id reveals nothing."""

from zoneinfo import ZoneInfo

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from community.dates import day, reader_zone
from community.extensions import db
from community.forms import ButtonForm, new_form_token
from community.permissions import member_required, public
from community.refusals import show_on_form
from community.security import allow_in_csp, indexable

from . import bp, services
from .forms import ShareForm, StoryForm, choices
from .models import ATTRIBUTIONS, AUDIENCES, Story

AUTOSAVE_EVERY_SECONDS = 20


def _own_story(story_id) -> Story:
    """The member's own story, or 404 for anyone else's (or none): never say that someone else's exists."""
    try:
        story_id = int(story_id)
    except (TypeError, ValueError):
        abort(404)
    story = db.session.get(Story, story_id) if 0 < story_id < 2**31 else None
    if story is None or story.author_id != current_user.id:
        abort(404)
    return story


def _bylines(author) -> dict[str, str]:
    """How each attribution would name this author, exactly as readers will see it."""
    return {"name": author.display_name, "initials": services.initials(author.display_name),
            "anonymous": "Anonymous"}


def standing_of(story: Story) -> str:
    """Where the story stands, in plain words, for its author."""
    if story.audience == "private":
        if story.withdrawn_at is not None:
            return f"You withdrew it from the public on {day(story.withdrawn_at)}. Only you can read it."
        return "Only you can read it."
    if story.audience == "members":
        return "Members can read it. It is not public."
    if story.review_state == "pending":
        if story.published_html is not None:
            return ("Public. A moderator will read your latest changes; until then the public reads the version they "
                    "approved.")
        return "Waiting for a moderator to read it before it becomes public. Members can read it already."
    if story.review_state == "changes_requested":
        return (f"A moderator asked for a change: “{story.review_note}” When you save your changes, your story goes "
                "back to them.")
    if story.review_state == "declined":
        return f"A moderator declined it for the public: “{story.review_note}” Members can still read it."
    if story.published_at is not None:
        return f"Public since {day(story.published_at)}."
    return "Members can read it. It is not public yet."


def _editor_page(form: StoryForm, story: Story | None, preview: str | None = None, status: int = 200):
    allow_in_csp("script-src", "'self'")
    allow_in_csp("connect-src", "'self'")
    action = url_for("stories.edit", story_id=story.id) if story else url_for("stories.new")
    return render_template("stories/edit.html", form=form, story=story, action=action, preview=preview,
                           autosave_every=AUTOSAVE_EVERY_SECONDS), status


def _save(form: StoryForm, story: Story | None, autosave: bool = False) -> Story:
    return services.save_story(current_user, story, title=form.title.data, body=form.body.data,
                               procedure=form.procedure.data or "", year=form.year.data,
                               what_helped=form.what_helped.data, autosave=autosave,
                               form_token=form.form_token.data if story is None else None)


def _saved_message(story: Story) -> str:
    if story.audience == "public" and story.review_state == "pending":
        return "Your story is saved. A moderator will read your changes before the public sees them."
    if story.audience == "members":
        return "Your story is saved. Members can read it."
    if story.audience == "public":
        return "Your story is saved."
    return "Your story is saved. Only you can read it until you choose to share it."


def _write(form: StoryForm, story: Story | None):
    """Save (or preview) the form; on a refusal, the same page with every word kept and the message beside its
    field."""
    if request.form.get("action") == "preview":
        return _editor_page(form, story, preview=services.render_story(form.body.data or ""))
    if not form.validate_on_submit():
        return _editor_page(form, story, status=400)
    try:
        story = _save(form, story)
    except services.StoryError as refusal:
        show_on_form(form, refusal)
        return _editor_page(form, story, status=400)
    flash(_saved_message(story), "success")
    return redirect(url_for("stories.mine") + f"#story-{story.id}")


@bp.route("/my/stories")
@member_required
def mine():
    stories = db.session.scalars(select(Story).where(Story.author_id == current_user.id)
                                 .order_by(Story.updated_at.desc(), Story.id.desc())).all()
    names = _bylines(current_user)
    listed = [{"story": story, "audience": AUDIENCES[story.audience], "byline": names[story.attribution],
               "standing": standing_of(story), "needs_change": story.review_state == "changes_requested"
               and story.audience == "public"} for story in stories]
    return render_template("stories/my_stories.html", stories=listed, button_form=ButtonForm())


@bp.route("/my/stories/new", methods=["GET", "POST"])
@member_required
def new():
    form = StoryForm()
    if request.method == "GET":
        form.form_token.data = new_form_token()
        return _editor_page(form, None)
    # A draft the autosave already made: Save changes it, never makes a second copy.
    story = _own_story(form.story_id.data) if form.story_id.data else None
    return _write(form, story)


@bp.route("/my/stories/<int:story_id>/edit", methods=["GET", "POST"])
@member_required
def edit(story_id):
    story = _own_story(story_id)
    form = StoryForm(obj=story) if request.method == "GET" else StoryForm()
    if request.method == "GET":
        form.story_id.data = str(story.id)
        form.year.data = str(story.year) if story.year else ""
        return _editor_page(form, story)
    return _write(form, story)


@bp.route("/my/stories/autosave", methods=["POST"])
@member_required
def autosave():
    """The editor's script (static/js/autosave.js) saves the draft here every so often: {ok, id (and story_id, the
    same), saved_at, edit_url} or {ok: false, error, field}."""
    form = StoryForm()
    story = _own_story(form.story_id.data) if form.story_id.data else None
    if story is None and not (form.title.data or "").strip() and not (form.body.data or "").strip():
        return jsonify(ok=False, error="Nothing to save yet."), 400
    try:
        story = _save(form, story, autosave=True)
    except services.StoryError as refusal:
        return jsonify(ok=False, error=refusal.message, field=refusal.field), 400
    saved_at = story.updated_at.astimezone(ZoneInfo(reader_zone())).strftime("%H:%M")
    return jsonify(ok=True, id=story.id, story_id=story.id, saved_at=saved_at,
                   edit_url=url_for("stories.edit", story_id=story.id))


@bp.route("/my/stories/<int:story_id>/share", methods=["GET", "POST"])
@member_required
def share(story_id):
    story = _own_story(story_id)
    form = ShareForm(data={"audience": story.audience, "attribution": story.attribution}) \
        if request.method == "GET" else ShareForm()
    bylines = _bylines(current_user)
    form.attribution.choices = choices((key, f"{label}, shown as “{bylines[key]}”")
                                       for key, label in ATTRIBUTIONS.items())
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.share(current_user, story, form.audience.data, form.attribution.data,
                               consent_version=form.consent.data or None)
            except services.StoryError as refusal:
                show_on_form(form, refusal)
                status = 400
            else:
                flash(_shared_message(story), "success")
                return redirect(url_for("stories.mine") + f"#story-{story.id}")
        else:
            status = 400
    return render_template("stories/share.html", form=form, story=story, consent_text=services.CONSENT_TEXT,
                           consent_version=services.CONSENT_VERSION, standing=standing_of(story),
                           button_form=ButtonForm()), status


def _shared_message(story: Story) -> str:
    if story.audience == "public":
        if story.review_state == "pending":
            return ("Thank you. A moderator will read your story before it becomes public. Members can read it "
                    "now. You can withdraw it at any time.")
        return "Your choices are saved. Your story stays public. You can withdraw it at any time."
    if story.audience == "members":
        return "Your story is shared with members."
    return "Your story is private again. Only you can read it."


@bp.route("/my/stories/<int:story_id>/withdraw", methods=["POST"])
@member_required
def withdraw(story_id):
    story = _own_story(story_id)
    try:
        services.withdraw(current_user, story)
    except services.StoryError as refusal:
        flash(refusal.message, "info")
    else:
        flash("Your story is no longer public.", "success")
    return redirect(url_for("stories.mine") + f"#story-{story.id}")


@bp.route("/stories/tell-your-story")
@public
@indexable
def guide():
    return render_template("stories/guide.html")
