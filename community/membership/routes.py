"""The membership page, using a gift code, and the admins' screens: members (and their download), free
membership, gift codes, Stripe's webhook events and the Gift Aid claim."""

from datetime import timedelta

from flask import Response, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from community.accounts import services as accounts
from community.accounts import two_factor
from community.dates import day
from community.extensions import csrf, db, limiter, utcnow
from community.forms import ButtonForm
from community.mail import external_url
from community.permissions import (
    admin_required,
    login_required,
    open_when_suspended,
    public,
    recent_confirmation_required,
)
from community.refusals import Refusal, show_on_form
from community.security import allow_in_csp, safe_next_url

from . import billing, bp, gift_aid, gifts, services
from .forms import (
    GiftAidClaimForm,
    GiftAidForm,
    GiftCodeForm,
    GrantForm,
    JoinForm,
    RedeemGiftForm,
    RevokeForm,
    RoleForm,
    TwoFactorResetForm,
)


def _membership_page(join_form=None, gift_aid_form=None, status=200):
    """The membership page: status in plain words, and joining or managing as this person's state allows."""
    next_url = safe_next_url(request.args.get("next"), "")
    declaration = gift_aid.current_declaration(current_user) if current_user.is_authenticated else None
    if current_user.is_authenticated and billing.payments_mode() == "stripe":
        # The join and card buttons post here and are redirected to Stripe: browsers check that redirect against
        # this page's form-action, so this page alone may send forms on to Stripe's pages.
        allow_in_csp("form-action", *current_app.config["STRIPE_REDIRECT_ORIGINS"])
    return render_template("membership/index.html", summary=services.summarise(current_user), next_url=next_url,
                           payments=billing.payments_mode(), join_form=join_form or JoinForm(formdata=None),
                           gift_aid_form=gift_aid_form, declaration=declaration,
                           gift_aid_wording=gift_aid.WORDING, form=join_form if status != 200 else None), status


@bp.route("/membership")
@public
def index():
    return _membership_page()


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
    return redirect(url, code=303)


@bp.route("/membership/welcome")
@login_required
@limiter.limit("30 per minute", key_func=lambda: str(current_user.id))  # each visit asks Stripe
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
@open_when_suspended
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
    return redirect(url, code=303)


@bp.route("/membership/stop-renewal", methods=["GET", "POST"])
@login_required
@open_when_suspended
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
@open_when_suspended
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
    elif services.summarise(current_user).has_access:
        flash("You are already a member, so there is nothing to pay.", "success")
    else:
        services.apply_subscription_state(current_user, "active", utcnow() + timedelta(days=365),
                                          "Demo payment (no money taken)")
        flash("Demo payment done: you are a member for a year. No money was taken.", "success")
        # Back to the members' page they were trying to open, if that is how they got here.
        return redirect(safe_next_url(request.args.get("next"), url_for("membership.index")))
    return redirect(url_for("membership.index"))


@bp.route("/stripe/webhook", methods=["POST"])
@public
@csrf.exempt
@limiter.exempt
def stripe_webhook():
    """Stripe's deliveries: signed, so no CSRF token; and the one write route exempt from rate limits (the site-wide
    write limit too), deliberately: they come from Stripe's few addresses, are refused unless signed, and a refused
    one is retried later, delaying a member's access for nothing."""
    status, answer = billing.receive_webhook(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    return {"result": answer}, status


def _member_filters() -> tuple[str, str]:
    """The search words and membership filter of the members list (an unknown filter means all accounts)."""
    query = request.args.get("q", "").strip()[:200]
    membership = request.args.get("membership", "all")
    return query, membership if membership in services.MEMBER_FILTERS else "all"


@bp.route("/admin/members")
@admin_required
def admin_members():
    query, membership = _member_filters()
    page = request.args.get("page", 1, type=int)
    members = services.search_members(query, page, membership)
    now = utcnow()
    rows = [(member, services.describe_for_staff(member.membership, now)) for member in members.items]
    return render_template("membership/admin_members.html", members=members, rows=rows, query=query,
                           membership=membership, filters=services.MEMBER_FILTERS)


def _csv_download(text: str, filename: str) -> Response:
    """A CSV file to save (never shown in the browser, never cached on the way)."""
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.route("/admin/members.csv")
@admin_required
def admin_members_csv():
    query, membership = _member_filters()
    text = services.members_csv(current_user, query, membership)
    return _csv_download(text, f"members-{utcnow().date().isoformat()}.csv")


def _member_or_404(user_id: int):
    return db.session.get(accounts.User, user_id) or abort(404)


@bp.route("/admin/members/<int:user_id>")
@admin_required
def admin_member(user_id):
    member = _member_or_404(user_id)
    return _render_member(member, GrantForm(), RevokeForm(), RoleForm(role=member.role))


def _render_member(member, grant_form, revoke_form, role_form, status=200, failed=None, two_factor_form=None):
    """The member screen; `failed` is the form that was refused, so the page title says "Error:"."""
    return render_template("membership/admin_member.html", member=member,
                           summary=services.summarise(member, about_them=True),
                           history=services.history(member), state_words=services.state_words,
                           billing=billing.billing_record(member),
                           grant_form=grant_form, revoke_form=revoke_form,
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


# Gift codes -------------------------------------------------------------------------------------------------

def _gift_codes_page(form, new_code=None, status=200):
    page = request.args.get("page", 1, type=int)
    codes = gifts.list_gift_codes(page)
    now = utcnow()
    rows = [gifts.GiftCodeRow(gift, gifts.status_of(gift, now)) for gift in codes.items]
    response = make_response(render_template("membership/admin_gift_codes.html", form=form, codes=codes, rows=rows,
                                             new_code=new_code, redeem_url=external_url("membership.redeem_gift")),
                             status)
    if new_code:
        # The code is on this page only: keep it out of every cache and the back-forward history.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/gift-codes", methods=["GET", "POST"])
@admin_required
def admin_gift_codes():
    """Make a code to give away; its letters are shown once, on the page that answers the form."""
    form = GiftCodeForm()
    if form.validate_on_submit():
        try:
            gift, code = gifts.create_gift_code(current_user, form.note.data)
        except Refusal as refusal:
            show_on_form(form, refusal)
        else:
            return _gift_codes_page(GiftCodeForm(formdata=None), new_code=(gift, code))
    return _gift_codes_page(form, status=400 if form.errors else 200)


@bp.route("/admin/gift-codes/<int:gift_id>/revoke", methods=["POST"])
@admin_required
def admin_revoke_gift_code(gift_id):
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        gift = gifts.revoke_gift_code(current_user, gift_id)
    except gifts.GiftCodeNotFound:
        abort(404)
    except Refusal as refusal:
        flash(refusal.message, "error")
    else:
        flash(f"The code ending {gift.hint} is cancelled: nobody can use it now.", "success")
    return redirect(url_for("membership.admin_gift_codes"))


def _gift_limit_key() -> str:
    # By account; the address only for someone logged out (who is sent to log in before anything is tried).
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


@bp.route("/membership/gift", methods=["GET", "POST"])
@login_required
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_gift_limit_key)
def redeem_gift():
    """Typing in a gift code: a few tries a minute and an hour, so nobody can guess their way to a code."""
    form = RedeemGiftForm()
    if form.validate_on_submit():
        try:
            membership = gifts.redeem_gift_code(current_user, form.code.data)
        except Refusal as refusal:
            show_on_form(form, refusal)
        else:
            flash(f"Thank you: your gift membership is on. It lasts until "
                  f"{day(membership.expires_at, current_user.time_zone)}.", "success")
            return redirect(url_for("membership.index"))
    return render_template("membership/redeem_gift.html", form=form), 400 if form.errors else 200


# Stripe events and Gift Aid, for admins ---------------------------------------------------------------------

@bp.route("/admin/stripe-events")
@admin_required
def admin_stripe_events():
    result = request.args.get("result", "")
    result = result if result in billing.EVENT_RESULT_WORDS else ""
    events = billing.list_events(request.args.get("page", 1, type=int), result)
    return render_template("membership/admin_stripe_events.html", events=events, result=result,
                           result_words=billing.EVENT_RESULT_WORDS)


@bp.route("/admin/gift-aid")
@admin_required
def admin_gift_aid():
    """The claim page; with dates in the address, the claim itself as a CSV download."""
    asked = "start" in request.args or "end" in request.args
    form = GiftAidClaimForm(formdata=request.args if asked else None)
    if asked and form.validate():
        try:
            text = gift_aid.claim_csv(current_user, form.start.data, form.end.data)
        except Refusal as refusal:
            show_on_form(form, refusal)
        else:
            return _csv_download(text, f"gift-aid-claim-{form.start.data.isoformat()}-to-"
                                       f"{form.end.data.isoformat()}.csv")
    return render_template("membership/admin_gift_aid.html", form=form,
                           declarations=gift_aid.count_active_declarations()), 400 if form.errors else 200
