"""The membership page, and the admins' screens to find members and grant or revoke free membership."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from community.accounts import services as accounts
from community.accounts import two_factor
from community.extensions import csrf, db, limiter, utcnow
from community.forms import ButtonForm
from community.mail import external_url
from community.permissions import admin_required, recent_confirmation_required
from community.refusals import Refusal, show_on_form
from community.security import allow_in_csp, safe_next_url

from . import billing, bp, gift_aid, services
from .forms import GiftAidForm, GrantForm, JoinForm, RevokeForm, RoleForm, TwoFactorResetForm


def _membership_page(join_form=None, gift_aid_form=None, status=200):
    """The membership page: status in plain words, and joining or managing as this person's state allows."""
    next_url = safe_next_url(request.args.get("next"), "")
    declaration = gift_aid.current_declaration(current_user) if current_user.is_authenticated else None
    return render_template("membership/index.html", summary=services.summarise(current_user), next_url=next_url,
                           payments=billing.payments_mode(), join_form=join_form or JoinForm(formdata=None),
                           gift_aid_form=gift_aid_form, declaration=declaration,
                           gift_aid_wording=gift_aid.WORDING, form=join_form if status != 200 else None), status


@bp.route("/membership")
def index():
    return _membership_page()


def _redirect_to_stripe(url: str):
    """A 303 to Stripe's page. Browsers check a form's redirect against form-action, so this one response allows
    Stripe's origin there (and only that origin)."""
    parts = urlsplit(url)
    allow_in_csp("form-action", f"{parts.scheme}://{parts.netloc}")
    return redirect(url, code=303)


def _welcome_url() -> str:
    # Stripe puts the Checkout Session's id in place of the braces.
    return external_url("membership.welcome") + "?session_id={CHECKOUT_SESSION_ID}"


@bp.route("/membership/join", methods=["POST"])
@login_required
@limiter.limit("10 per minute; 30 per hour", key_func=lambda: str(current_user.id))
def join():
    form = JoinForm()
    if not form.validate_on_submit():
        return _membership_page(join_form=form, status=400)
    try:
        url = billing.start_checkout(current_user, _welcome_url(), external_url("membership.index"))
        if form.gift_aid.data:
            # Only once Stripe has a page ready, so a failed attempt leaves nothing half-done behind it.
            gift_aid.declare(current_user, form.first_name.data, form.last_name.data, form.house.data,
                             form.address.data or "", form.postcode.data, form.title.data or "")
    except billing.AlreadyMember as refusal:
        flash(f"{refusal.message} Nothing has been charged.", "success")
        return redirect(url_for("membership.index"))
    except Refusal as refusal:
        show_on_form(form, refusal)
        return _membership_page(join_form=form, status=503 if refusal.message == billing.UNAVAILABLE else 400)
    return _redirect_to_stripe(url)


@bp.route("/membership/welcome")
@login_required
def welcome():
    """Where Stripe sends someone after paying: we ask Stripe ourselves rather than trust the address."""
    session_id = request.args.get("session_id", "")[:255]
    if not session_id:
        return redirect(url_for("membership.index"))
    try:
        outcome = billing.confirm_checkout(current_user, session_id)
    except Refusal as refusal:
        return render_template("membership/welcome.html", confirmed=False, message=refusal.message,
                               session_id=session_id), 503
    return render_template("membership/welcome.html", confirmed=outcome.confirmed, message=outcome.message,
                           session_id=session_id)


@bp.route("/membership/manage", methods=["POST"])
@login_required
@limiter.limit("10 per minute", key_func=lambda: str(current_user.id))
def manage():
    """To Stripe's Customer Portal: change the card, cancel, see invoices."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        url = billing.portal_url(current_user, external_url("membership.index"))
    except Refusal as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("membership.index"))
    return _redirect_to_stripe(url)


@bp.route("/membership/stop-renewal", methods=["GET", "POST"])
@login_required
def stop_renewal():
    """Cancelling in one step (the renewal reminder links here): access carries on to the end of the paid year."""
    membership = current_user.membership
    form = ButtonForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            billing.set_renewal(current_user, renews=False)
        except Refusal as refusal:
            flash(refusal.message, "error")
        else:
            flash("Done: your membership will not renew and nothing more will be taken. You keep access until "
                  "the end of the year you paid for.", "success")
        return redirect(url_for("membership.index"))
    return render_template("membership/stop_renewal.html", summary=services.summarise(current_user),
                           membership=membership)


@bp.route("/membership/gift-aid", methods=["GET", "POST"])
@login_required
def gift_aid_declaration():
    form = GiftAidForm()
    if form.validate_on_submit():
        try:
            gift_aid.declare(current_user, form.first_name.data or "", form.last_name.data or "",
                             form.house.data or "", form.address.data or "", form.postcode.data or "",
                             form.title.data or "")
        except Refusal as refusal:
            show_on_form(form, refusal)
        else:
            flash("Thank you: Gift Aid is added to your membership payments.", "success")
            return redirect(url_for("membership.index"))
    status = 400 if form.errors else 200
    return render_template("membership/gift_aid.html", form=form, wording=gift_aid.WORDING,
                           declaration=gift_aid.current_declaration(current_user)), status


@bp.route("/membership/gift-aid/cancel", methods=["POST"])
@login_required
def cancel_gift_aid():
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        gift_aid.cancel(current_user)
    except Refusal as refusal:
        flash(refusal.message, "error")
    else:
        flash("Your Gift Aid declaration is cancelled. Payments from now on will not have Gift Aid added.",
              "success")
    return redirect(url_for("membership.index"))


@bp.route("/membership/demo-payment", methods=["POST"])
@login_required
def demo_payment():
    """DEMO_MODE only: drive the same state change a paid Stripe subscription would, with no money taken."""
    if billing.payments_mode() != "demo" or not ButtonForm().validate_on_submit():
        abort(404)
    if not current_user.is_verified:
        flash("Confirm your email address first, then try again.", "error")
    else:
        services.apply_subscription_state(current_user, "active", utcnow() + timedelta(days=365),
                                          "Demo payment (no money taken)")
        flash("Demo payment done: you are a member for a year. No money was taken.", "success")
    return redirect(url_for("membership.index"))


@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt
@limiter.exempt
def stripe_webhook():
    """Stripe's deliveries: signed, so no CSRF token and no rate limit (Stripe retries what we refuse)."""
    status, answer = billing.receive_webhook(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    return {"result": answer}, status


@bp.route("/admin/members")
@admin_required
def admin_members():
    query = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=int)
    members = services.search_members(query, page)
    return render_template("membership/admin_members.html", members=members, query=query)


def _member_or_404(user_id: int):
    return db.session.get(accounts.User, user_id) or abort(404)


@bp.route("/admin/members/<int:user_id>")
@admin_required
def admin_member(user_id):
    member = _member_or_404(user_id)
    return _render_member(member, GrantForm(), RevokeForm(), RoleForm(role=member.role))


def _render_member(member, grant_form, revoke_form, role_form, status=200, failed=None, two_factor_form=None):
    """The member screen; `failed` is the form that was refused, so the page title says "Error:"."""
    return render_template("membership/admin_member.html", member=member, summary=services.summarise(member),
                           history=services.history(member), grant_form=grant_form, revoke_form=revoke_form,
                           role_form=role_form, two_factor_form=two_factor_form or TwoFactorResetForm(formdata=None),
                           form=failed), status


@bp.route("/admin/members/<int:user_id>/grant", methods=["POST"])
@admin_required
def admin_grant(user_id):
    member = _member_or_404(user_id)
    form = GrantForm()
    if form.validate_on_submit():
        try:
            services.grant_complimentary(current_user, member, form.expires_on.data, form.reason.data,
                                         form.source.data)
        except services.MembershipError as error:
            show_on_form(form, error)
        else:
            flash(f"{member.display_name} now has a {form.source.data} membership.", "success")
            return redirect(url_for("membership.admin_member", user_id=member.id))
    return _render_member(member, form, RevokeForm(formdata=None), RoleForm(formdata=None, role=member.role), 400,
                          failed=form)


@bp.route("/admin/members/<int:user_id>/revoke", methods=["POST"])
@admin_required
def admin_revoke(user_id):
    member = _member_or_404(user_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke_complimentary(current_user, member, form.reason.data)
        except services.MembershipError as error:
            show_on_form(form, error)
        else:
            flash(f"{member.display_name}'s free membership has ended.", "success")
            return redirect(url_for("membership.admin_member", user_id=member.id))
    return _render_member(member, GrantForm(formdata=None), form, RoleForm(formdata=None, role=member.role), 400,
                          failed=form)


@bp.route("/admin/members/<int:user_id>/role", methods=["POST"])
@admin_required
@recent_confirmation_required
def admin_role(user_id):
    member = _member_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            accounts.set_role(current_user, member, form.role.data, form.reason.data or "")
        except accounts.AccountError as error:
            show_on_form(form, error)
        else:
            flash(f"{member.display_name} is now {form.role.data}.", "success")
            return redirect(url_for("membership.admin_member", user_id=member.id))
    return _render_member(member, GrantForm(formdata=None), RevokeForm(formdata=None), form, 400, failed=form)


@bp.route("/admin/members/<int:user_id>/two-factor/reset", methods=["POST"])
@admin_required
@recent_confirmation_required
def admin_reset_two_factor(user_id):
    """For a member who lost their phone and recovery codes, once an admin has checked who they are."""
    member = _member_or_404(user_id)
    form = TwoFactorResetForm()
    if form.validate_on_submit():
        try:
            two_factor.reset_by_admin(current_user, member, form.reason.data)
        except two_factor.TwoFactorError as error:
            show_on_form(form, error)
        else:
            flash(f"Two-factor sign-in is off for {member.display_name}, and they were logged out everywhere.",
                  "success")
            return redirect(url_for("membership.admin_member", user_id=member.id))
    return _render_member(member, GrantForm(formdata=None), RevokeForm(formdata=None),
                          RoleForm(formdata=None, role=member.role), 400, failed=form, two_factor_form=form)
