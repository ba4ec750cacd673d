"""Home, resource hub, trust pages (about, contact, privacy, guidelines, accessibility), crisis signposting,
robots.txt and the sitemap; the admins' page editor, new pages, publishing and order, and the charity settings."""

from datetime import UTC
from xml.etree import ElementTree  # only builds the sitemap; nothing here parses XML  # nosec B405

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from community.extensions import limiter
from community.forms import ButtonForm
from community.mail import external_url
from community.markdown import render_markdown
from community.permissions import admin_required, is_admin, login_required, public
from community.refusals import show_on_form
from community.security import indexable, safe_next_url

from . import bp, services, site_settings
from .forms import CharitySettingsForm, ContactForm, NewPageForm, PageForm
from .models import HUB, TRUST

# The contact form sends an email each time: a few an hour and a day from one address is plenty for a person.
CONTACT_LIMIT = "3 per hour;10 per day"


def _page_or_404(slug: str):
    page = services.find_page(slug)
    if page is None:
        abort(404)
    return page


@bp.app_template_global()
def page_url(page) -> str:
    """Where the public reads a page: /about for a trust page, /resources/<slug> for a hub page."""
    return url_for(f"pages.{page.slug}") if page.kind == TRUST else url_for("pages.resource", slug=page.slug)


bp.add_app_template_global(site_settings.charity, "charity")


@bp.route("/")
@public
@indexable
def home():
    return render_template("pages/home.html", pages=services.list_pages())


@bp.route("/resources")
@public
@indexable
def resources():
    return render_template("pages/resources.html", pages=services.list_pages())


@bp.route("/resources/<slug>")
@public
@indexable
def resource(slug):
    page = services.page_to_read(slug) or abort(404)
    if page.kind == TRUST:
        return redirect(page_url(page), 301)
    if not page.published and not is_admin(current_user):
        abort(404)
    return render_template("pages/resource.html", page=page, rendered=page.rendered)


# Trust pages ---------------------------------------------------------------------------------------------------

def _trust_page(slug: str, template: str = "pages/trust.html", status: int = 200, **context):
    page = services.page_to_read(slug)
    if page is None or page.kind != TRUST:
        abort(404)
    return render_template(template, page=page, rendered=page.rendered, **context), status


@bp.route("/about")
@public
@indexable
def about():
    return _trust_page("about")


@bp.route("/privacy")
@public
@indexable
def privacy():
    return _trust_page("privacy")


@bp.route("/accessibility")
@public
@indexable
def accessibility():
    return _trust_page("accessibility")


@bp.route("/contact", methods=["GET", "POST"])
@public
@indexable
@limiter.limit(CONTACT_LIMIT, methods=["POST"], deduct_when=lambda response: response.status_code == 302)
def contact():
    """Write to the charity. Only messages sent (and robots' tries) count towards the limit, so someone fixing a
    typo in their address is never stopped."""
    if request.method == "GET" and current_user.is_authenticated:
        form = ContactForm(name=current_user.display_name, email=current_user.email)
    else:
        form = ContactForm()
    if form.is_submitted() and form.website.data:
        # Only a robot fills the hidden trap field: it is answered as if sent, and nothing is sent.
        return redirect(url_for("pages.contact_sent"))
    status = 200
    if form.validate_on_submit():
        try:
            services.send_contact_message(form.name.data or "", form.email.data, form.message.data)
        except services.ContactError as error:
            show_on_form(form, error)
            status = 400 if error.field else 503
        else:
            return redirect(url_for("pages.contact_sent"))
    elif form.errors:
        status = 400
    return _trust_page("contact", "pages/contact.html", status, form=form)


@bp.route("/contact/sent")
@public
def contact_sent():
    return render_template("pages/contact_sent.html")


@bp.route("/guidelines")
@public
@indexable
def guidelines():
    acceptance = services.guidelines_acceptance(current_user) if current_user.is_authenticated else None
    return _trust_page("guidelines", "pages/guidelines.html", acceptance=acceptance, form=ButtonForm(),
                       next_url=safe_next_url(request.args.get("next"), "") or None,
                       version=services.GUIDELINES_VERSION)


@bp.route("/guidelines/agree", methods=["POST"])
@login_required
def agree_to_guidelines():
    next_url = safe_next_url(request.args.get("next"), "")
    if ButtonForm().validate_on_submit():
        services.accept_guidelines(current_user)
        flash("Thank you for agreeing to our community guidelines.", "success")
    return redirect(next_url or url_for("pages.guidelines"))


@bp.route("/need-help")
@public
@indexable
def need_help():
    return render_template("pages/need_help.html")


# Robots and search engines -------------------------------------------------------------------------------------

# Members' spaces, accounts and anything personal are never crawled (DESIGN.md: forums are never indexed).
ROBOTS_DISALLOW = ("/forums", "/lounge", "/account", "/admin", "/moderation", "/membership", "/cafe/room", "/login",
                   "/logout", "/signup", "/verify", "/reset-password", "/my", "/privacy/export", "/privacy/erase",
                   "/search", "/notifications", "/stripe", "/contact/sent")
ROBOTS_ALLOW = ("/", "/resources", "/about", "/contact", "/privacy", "/guidelines", "/accessibility", "/stories",
                "/need-help", "/cafe", "/cafe/calendar.ics")


@bp.route("/robots.txt")
@public
def robots_txt():
    lines = ["User-agent: *", *(f"Allow: {path}" for path in ROBOTS_ALLOW),
             *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "", f"Sitemap: {external_url('pages.sitemap')}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


def _w3c_time(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@bp.route("/sitemap.xml")
@public
def sitemap():
    """The public pages, each with when it last changed (the hub's newest change for the home and hub pages)."""
    pages = services.list_public_pages()
    hub = [page for page in pages if page.kind == HUB]
    trust = {page.slug: page for page in pages if page.kind == TRUST}
    newest = max((page.updated_at for page in hub), default=None)
    entries = [(external_url("pages.home"), newest), (external_url("pages.resources"), newest)]
    entries += [(external_url("pages.resource", slug=page.slug), page.updated_at) for page in hub]
    entries += [(external_url(f"pages.{slug}"), trust[slug].updated_at if slug in trust else None)
                for slug in services.TRUST_SLUGS]
    entries.append((external_url("pages.need_help"), None))
    urlset = ElementTree.Element("urlset", xmlns="http://www.sitemaps.org/schemas/sitemap/0.9")
    for location, changed in entries:
        url = ElementTree.SubElement(urlset, "url")
        ElementTree.SubElement(url, "loc").text = location
        if changed is not None:
            ElementTree.SubElement(url, "lastmod").text = _w3c_time(changed)
    ElementTree.indent(urlset)
    return Response(ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True), mimetype="application/xml")


# Admin: pages ----------------------------------------------------------------------------------------------------

@bp.route("/admin/pages")
@admin_required
def admin_pages():
    pages = services.list_all_pages()
    hub = [page for page in pages if page.kind == HUB]
    trust = sorted((page for page in pages if page.kind == TRUST),
                   key=lambda page: services.TRUST_SLUGS.index(page.slug) if page.slug in services.TRUST_SLUGS
                   else len(services.TRUST_SLUGS))
    return render_template("pages/admin_list.html", hub_pages=hub, trust_pages=trust)


@bp.route("/admin/pages/new", methods=["GET", "POST"])
@admin_required
def new_page():
    form = NewPageForm()
    preview = None
    if form.validate_on_submit():
        if request.form.get("action") == "preview":
            preview = render_markdown(form.body.data)
        else:
            try:
                page = services.create_page(current_user, form.title.data, form.slug.data or "", form.summary.data,
                                            form.body.data, form.publish.data)
            except services.PageError as error:
                show_on_form(form, error)
            else:
                flash(f"“{page.title}” is made{' and published' if page.published else ''}. "
                      f"{'' if page.published else 'Only admins can see it until you publish it.'}", "success")
                return redirect(page_url(page))
    return render_template("pages/admin_new.html", form=form, preview=preview), 400 if form.errors else 200


@bp.route("/admin/pages/<slug>/publish", methods=["POST"])
@admin_required
def publish_page(slug):
    return _set_published(slug, True)


@bp.route("/admin/pages/<slug>/unpublish", methods=["POST"])
@admin_required
def unpublish_page(slug):
    return _set_published(slug, False)


def _set_published(slug: str, published: bool):
    page = _page_or_404(slug)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        services.set_published(current_user, page, published)
    except services.PageError as error:
        flash(error.message, "error")
    else:
        flash(f"“{page.title}” is published: everyone can read it." if published else
              f"“{page.title}” is unpublished: only admins can see it now.", "success")
    return redirect(url_for("pages.admin_pages"))


@bp.route("/admin/pages/<slug>/move-up", methods=["POST"], defaults={"direction": "up"})
@bp.route("/admin/pages/<slug>/move-down", methods=["POST"], defaults={"direction": "down"})
@admin_required
def move_page(slug, direction):
    page = _page_or_404(slug)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        moved = services.move_page(current_user, page, direction)
    except services.PageError as error:
        flash(error.message, "error")
    else:
        if not moved:
            flash(f"“{page.title}” is already {'first' if direction == 'up' else 'last'}.", "info")
    return redirect(url_for("pages.admin_pages", _anchor=f"page-{page.slug}"))


@bp.route("/admin/pages/<slug>", methods=["GET", "POST"])
@admin_required
def edit_page(slug):
    page = _page_or_404(slug)
    form = PageForm(obj=page, based_on_revision=page.current_revision_id)
    preview = None
    if form.validate_on_submit():
        if request.form.get("action") == "preview":
            preview = render_markdown(form.body.data)
        else:
            try:
                # The raw field: a missing one must be refused, not filled in with the page's current version.
                based_on = services.revision_number(request.form.get("based_on_revision"))
                services.save_page(current_user, page, form.title.data, form.summary.data, form.body.data,
                                   form.note.data or "", based_on)
            except services.PageError as error:
                show_on_form(form, error)
            else:
                flash(f"Saved. “{page.title}” is updated.", "success")
                return redirect(page_url(page))
    return render_template("pages/admin_edit.html", page=page, form=form, preview=preview), 400 if form.errors else 200


@bp.route("/admin/pages/<slug>/history")
@admin_required
def page_history(slug):
    page = _page_or_404(slug)
    return render_template("pages/admin_history.html", page=page, revisions=services.page_history(page))


@bp.route("/admin/pages/<slug>/history/<int:revision_id>", methods=["GET", "POST"])
@admin_required
def page_revision(slug, revision_id):
    page = _page_or_404(slug)
    revision = services.find_revision(page, revision_id) or abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        services.restore_revision(current_user, page, revision)
        flash("That version is back on the page. The version it replaced is kept in the history.", "success")
        return redirect(url_for("pages.page_history", slug=page.slug))
    return render_template("pages/admin_revision.html", page=page, revision=revision, form=form,
                           rendered=render_markdown(revision.body))


# Admin: the charity's settings ---------------------------------------------------------------------------------------

@bp.route("/admin/settings", methods=["GET", "POST"])
@admin_required
def admin_settings():
    form = CharitySettingsForm(data=site_settings.current_values())
    if form.validate_on_submit():
        values = {key: getattr(form, key).data or "" for key in site_settings.SETTINGS}
        # Every value is checked first, so each problem shows beside its own field at once.
        for key, value in values.items():
            try:
                site_settings.clean_value(key, value)
            except site_settings.SettingError as error:
                show_on_form(form, error)
        if not form.errors:
            changed = site_settings.update_settings(current_user, values, form.reason.data or "")
            if changed:
                names = ", ".join(site_settings.SETTINGS[key].label.lower() for key in changed)
                flash(f"Saved the new {names}. The site shows it now.", "success")
            else:
                flash("Nothing had changed, so nothing was saved.", "info")
            return redirect(url_for("pages.admin_settings"))
    return render_template("pages/admin_settings.html", form=form), 400 if form.errors else 200
