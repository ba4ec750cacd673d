"""The membership page, and the admins' screens to find members and grant or revoke free membership."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from community.accounts import services as accounts
from community.accounts import two_factor
from community.extensions import db, utcnow
from community.forms import ButtonForm
from community.permissions import admin_required, recent_confirmation_required
from community.refusals import show_on_form
from community.security import safe_next_url

from . import bp, services
from .forms import GrantForm, RevokeForm, RoleForm, TwoFactorResetForm


@bp.route("/membership")
def index():
    next_url = safe_next_url(request.args.get("next"), "")
    return render_template("membership/index.html", summary=services.summarise(current_user),
                           next_url=next_url)


@bp.route("/membership/demo-payment", methods=["POST"])
@login_required
def demo_payment():
    """DEMO_MODE only: drive the same state change a paid Stripe subscription would, with no money taken."""
    if not current_app.config["DEMO_MODE"] or not ButtonForm().validate_on_submit():
        abort(404)
    if not current_user.is_verified:
        flash("Confirm your email address first, then try again.", "error")
    else:
        services.apply_subscription_state(current_user, "active", utcnow() + timedelta(days=365),
                                          "Demo payment (no money taken)")
        flash("Demo payment done: you are a member for a year. No money was taken.", "success")
    return redirect(url_for("membership.index"))


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
