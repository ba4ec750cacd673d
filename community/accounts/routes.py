"""Account pages: thin views that validate a form, call one service, then flash and redirect or re-render."""

import hashlib
import time
from datetime import timedelta

from flask import (
    abort,
    after_this_request,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from community.extensions import limiter
from community.forms import ButtonForm
from community.permissions import (
    login_required,
    needs_two_factor_setup,
    open_when_suspended,
    public,
    recent_confirmation_required,
)
from community.refusals import show_on_form
from community.security import safe_next_url, submitted_email_key

from . import bp, services, sessions, two_factor
from .forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmIdentityForm,
    LoginCodeForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
    TwoFactorSetupForm,
)

# Per address: a burst of 6 a minute, 30 an hour. Per account typed: failed attempts slow down after 10 an hour.
ADDRESS_LIMIT = "6 per minute;30 per hour"
ACCOUNT_FAILURE_LIMIT = "10 per hour"
# A half-finished log-in (password right, code not yet given) lasts this long.
HALF_LOGIN_SECONDS = 10 * 60
DEVICE_COOKIE_DAYS = 365


def _rejected(response) -> bool:
    """Only refused attempts count towards the failure limits (a success redirects)."""
    return response.status_code != 302


def login_failure_key() -> str:
    """Whose failed log-ins these are: this browser's own if it has logged in to the account before (OWASP's device
    cookie), otherwise the account's, shared with every stranger guessing at it."""
    device_cookie = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    return sessions.known_device_key(device_cookie, request.form.get("email") or "") or submitted_email_key()


def confirmation_failure_key() -> str:
    """Wrong passwords or codes on "confirm it is you" count against the account, from wherever they come."""
    return f"confirm:{current_user.id}"


def half_login_key() -> str:
    """Failed codes count per account and, as for passwords, separately for a browser that has logged in before:
    someone who learnt the password cannot lock the owner out of the code step either."""
    pending = session.get("half_login") or {}
    return f"code:{pending.get('uid')}:{pending.get('device') or 'unknown browser'}"


# Logging in and out ----------------------------------------------------------------------------------------

def _log_in(user, remember: bool) -> None:
    """Log in with a fresh session: nothing from before carries over, and a new server-side row stands behind it."""
    session.clear()
    sessions.start_session(user, remember, request.user_agent.string, request.remote_addr)
    login_user(user, remember=remember)
    cookie = sessions.device_cookie_after_login(request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"]),
                                                user.email)

    @after_this_request
    def remember_this_device(response):
        config = current_app.config
        response.set_cookie(config["DEVICE_COOKIE_NAME"], cookie, max_age=timedelta(days=DEVICE_COOKIE_DAYS),
                            secure=config["HTTPS"], httponly=True, samesite="Lax")
        return response


def _finish_login(user, remember: bool, next_url: str):
    _log_in(user, remember)
    if needs_two_factor_setup(user):
        flash("You are logged in. One more step for staff: set up two-factor sign-in.", "info")
        return redirect(url_for("accounts.two_factor_settings"))
    flash(f"You are logged in. Welcome back, {user.display_name}.", "success")
    return redirect(next_url)


def _ask_for_code(user, remember: bool, next_url: str):
    """Password right and two-factor on: remember the half-finished log-in, then ask for a code."""
    device = sessions.known_device_key(request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"]), user.email)
    session.clear()
    session["half_login"] = {"uid": user.id, "fp": services.credentials_fingerprint(user), "remember": remember,
                             "next": next_url, "at": int(time.time()), "device": device}
    return redirect(url_for("accounts.login_code"))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
@limiter.limit(ACCOUNT_FAILURE_LIMIT, methods=["POST"], key_func=login_failure_key, deduct_when=_rejected)
def login():
    next_url = safe_next_url(request.args.get("next"), url_for("pages.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            if user.has_two_factor:
                return _ask_for_code(user, form.remember.data, next_url)
            return _finish_login(user, form.remember.data, next_url)
        form.form_errors.append("The email address or password is not right. Check them and try again, "
                                "or reset your password. If you have just signed up, open the link in the email "
                                "we sent you first.")
    return render_template("accounts/login.html", form=form)


def _half_login_user():
    pending = session.get("half_login") or {}
    if not pending or time.time() - pending.get("at", 0) > HALF_LOGIN_SECONDS:
        return None, pending
    return services.user_for_half_login(pending.get("uid"), pending.get("fp", "")), pending


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
@limiter.limit(ACCOUNT_FAILURE_LIMIT, methods=["POST"], key_func=half_login_key, deduct_when=_rejected)
def login_code():
    user, pending = _half_login_user()
    if user is None:
        if session.pop("half_login", None):
            flash("Please log in again: that took longer than 10 minutes, or your details changed.", "info")
        return redirect(url_for("accounts.login"))
    form = LoginCodeForm()
    if form.validate_on_submit():
        kind = two_factor.check_second_factor(user, form.code.data)
        if kind is not None:
            response = _finish_login(user, bool(pending.get("remember")), safe_next_url(pending.get("next"), "/"))
            if kind == "recovery":
                left = two_factor.unused_recovery_codes(user)
                flash(f"You used a recovery code. You have {left} left." if left > 2 else
                      f"You used a recovery code and have {left or 'none'} left. Make new ones now from your "
                      "two-factor settings, so you can still log in if you lose your phone.", "info")
            return response
        form.code.errors = ["That code is not right, or it has been used. Enter the code your app shows now, "
                            "or a recovery code."]
    return render_template("accounts/login_code.html", form=form)


def _log_out_this_browser() -> None:
    """End this browser's log-in for real: its server-side row goes, so no copy of its cookies works again."""
    if current_user.is_authenticated:
        sessions.end_session(current_user.session_token)
    # Clear first: logout_user() leaves a flag in the session that makes Flask-Login delete the remember cookie.
    session.clear()
    logout_user()


@bp.route("/logout", methods=["POST"])
@public  # anyone may press it, and a suspended member must always be able to log out
def logout():
    if ButtonForm().validate_on_submit():
        _log_out_this_browser()
        flash("You are logged out. Take care.", "success")
    return redirect(url_for("pages.home"))


# Signing up ------------------------------------------------------------------------------------------------

@bp.route("/signup", methods=["GET", "POST"])
@public
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=submitted_email_key)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            services.register(form.email.data, form.display_name.data, form.password.data)
        except services.AccountError as error:
            show_on_form(form, error)
        else:
            # The same page whether or not the address already had an account.
            return render_template("accounts/check_email.html", email=services.normalise_email(form.email.data))
    return render_template("accounts/signup.html", form=form)


@bp.route("/verify/<token>")
@public
def verify_email(token):
    user = services.verify_email(token)
    if user is None:
        return render_template("accounts/link_invalid.html", kind="verify"), 400
    if current_user.is_authenticated:
        flash("Thank you. Your email address is confirmed.", "success")
        return redirect(url_for("accounts.account"))
    flash("Thank you. Your email address is confirmed. You can log in now.", "success")
    return redirect(url_for("accounts.login"))


# Password reset --------------------------------------------------------------------------------------------

@bp.route("/reset-password", methods=["GET", "POST"])
@public
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=submitted_email_key)
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/reset_request.html", form=form)


def reset_failure_key() -> str:
    """Wrong codes on a reset link count against that link (and there are at most 3 links an hour)."""
    return "reset:" + hashlib.sha256(request.path.encode()).hexdigest()


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
@limiter.limit(ACCOUNT_FAILURE_LIMIT, methods=["POST"], key_func=reset_failure_key, deduct_when=_rejected)
def reset_password(token):
    g.personal_data = True
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("accounts/link_invalid.html", kind="reset"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data, form.code.data or "")
        except services.AccountError as error:
            show_on_form(form, error)
        else:
            if user is None:  # another use of the same link got there first
                return render_template("accounts/link_invalid.html", kind="reset"), 400
            _log_out_this_browser()  # whoever was logged in here before
            _log_in(user, remember=False)
            flash("Your password is changed and you are logged in. Any other devices were logged out.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/reset_password.html", form=form, needs_code=user.has_two_factor)


# Sudo mode -------------------------------------------------------------------------------------------------

@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
@open_when_suspended  # a suspended member may still erase their account, which asks for this first
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
@limiter.limit(ACCOUNT_FAILURE_LIMIT, methods=["POST"], key_func=confirmation_failure_key, deduct_when=_rejected)
def confirm_identity():
    next_url = safe_next_url(request.args.get("next"), url_for("accounts.account"))
    form = ConfirmIdentityForm()
    if form.validate_on_submit():
        try:
            services.confirm_identity(current_user, current_user.current_session, form.password.data,
                                      form.code.data or "")
        except services.AccountError as error:
            show_on_form(form, error)
        else:
            return redirect(next_url)
    return render_template("accounts/confirm_identity.html", form=form)


# Settings --------------------------------------------------------------------------------------------------

@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.display_name.data, form.bio.data or "",
                                    form.time_zone.data, form.text_size.data)
        except services.AccountError as error:
            show_on_form(form, error)
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@recent_confirmation_required
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.email.data)
        except services.AccountError as error:
            show_on_form(form, error)
        else:
            hours = current_app.config["CHANGE_EMAIL_MAX_AGE"] // 3600
            flash(f"We have sent a link to {services.normalise_email(form.email.data)}. Your email address "
                  f"changes when you open it, within {hours} hours.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_email.html", form=form)


@bp.route("/account/email/<token>", methods=["GET", "POST"])
@public
def confirm_email_change(token):
    """From the new address's email. A GET only asks, since mail scanners open links; the button changes it."""
    form = ButtonForm()
    if form.validate_on_submit():
        user = services.confirm_email_change(token)
        if user is None:
            return render_template("accounts/link_invalid.html", kind="change-email"), 400
        flash(f"Your email address is now {user.email}.", "success")
        return redirect(url_for("accounts.account") if current_user.is_authenticated else url_for("accounts.login"))
    if not services.email_change_link_works(token):
        return render_template("accounts/link_invalid.html", kind="change-email"), 400
    return render_template("accounts/confirm_email_change.html", form=form)


@bp.route("/account/email/cancel/<token>", methods=["GET", "POST"])
@public
def cancel_email_change(token):
    """From the old address's email. A GET only asks, since mail scanners open links; the button cancels."""
    form = ButtonForm()
    if form.validate_on_submit():
        user = services.cancel_email_change(token)
        if user is None:
            return render_template("accounts/link_invalid.html", kind="cancel-email-change"), 400
        _log_out_this_browser()
        return render_template("accounts/email_change_cancelled.html", email=user.email)
    if not services.cancel_link_works(token):
        return render_template("accounts/link_invalid.html", kind="cancel-email-change"), 400
    return render_template("accounts/cancel_email_change.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@recent_confirmation_required
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.new_password.data, current_user.current_session)
        except services.AccountError as error:
            show_on_form(form, error)
        else:
            flash("Your password is changed. Any other devices were logged out.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


# Where you're logged in ------------------------------------------------------------------------------------

@bp.route("/account/sessions")
@login_required
def sessions_list():
    this_session = current_user.current_session
    return render_template("accounts/sessions.html", rows=sessions.sessions_of(current_user, first=this_session),
                           this_session=this_session)


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_one_session(session_id):
    if not ButtonForm().validate_on_submit():
        abort(400)
    if session_id == current_user.current_session.id:
        return logout()
    ended = sessions.end_session_by_id(current_user, session_id)
    flash("That device is logged out." if ended else "That device was already logged out.", "success")
    return redirect(url_for("accounts.sessions_list"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    if not ButtonForm().validate_on_submit():
        abort(400)
    count = sessions.end_other_sessions(current_user, keep=current_user.current_session)
    flash("You are now logged out everywhere else." if count else "You were not logged in anywhere else.",
          "success")
    return redirect(url_for("accounts.sessions_list"))


# Two-factor sign-in ----------------------------------------------------------------------------------------

@bp.route("/account/two-factor")
@login_required
def two_factor_settings():
    left = two_factor.unused_recovery_codes(current_user) if current_user.has_two_factor else 0
    return render_template("accounts/two_factor.html", recovery_codes_left=left)


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@login_required
@recent_confirmation_required
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
def two_factor_setup():
    row = current_user.current_session
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_setup(current_user, row, form.code.data)
        except two_factor.AlreadySetUp:
            # A double tap: the first send turned it on and showed the codes on a page the browser dropped.
            flash("Two-factor sign-in is on. If you did not see your recovery codes, make new ones here.", "info")
            return redirect(url_for("accounts.two_factor_settings"))
        except two_factor.TwoFactorError as error:
            show_on_form(form, error)
        else:
            return render_template("accounts/recovery_codes.html", codes=codes, just_set_up=True)
    secret = two_factor.begin_setup(row)
    return render_template("accounts/two_factor_setup.html", form=form, key=two_factor.spaced(secret),
                           qr_code=two_factor.qr_code_svg(current_user, secret),
                           app_link=two_factor.setup_link(current_user, secret))


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@login_required
@recent_confirmation_required
def new_recovery_codes():
    if not ButtonForm().validate_on_submit() or not current_user.has_two_factor:
        abort(400)
    return render_template("accounts/recovery_codes.html", codes=two_factor.new_recovery_codes(current_user),
                           just_set_up=False)


@bp.route("/account/two-factor/off", methods=["POST"])
@login_required
@recent_confirmation_required
def two_factor_off():
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        two_factor.turn_off(current_user)
    except two_factor.TwoFactorError as error:
        flash(error.message, "error")
    else:
        flash("Two-factor sign-in is off. You log in with your password alone.", "success")
    return redirect(url_for("accounts.two_factor_settings"))
