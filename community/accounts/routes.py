"""Account pages: thin views that validate a form, call one service, then flash and redirect or re-render."""

import secrets

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from community.extensions import limiter
from community.forms import ButtonForm
from community.refusals import show_on_form
from community.security import safe_next_url, submitted_email_key

from . import bp, services
from .forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
)

# Per address: a burst of 6 a minute, 30 an hour. Per account typed: failed attempts slow down after 10 an hour.
ADDRESS_LIMIT = "6 per minute;30 per hour"
ACCOUNT_FAILURE_LIMIT = "10 per hour"


def _start_session(user, remember: bool = False) -> None:
    """Log in with a fresh session: nothing from before log-in carries over, and its id is new."""
    session.clear()
    login_user(user, remember=remember)
    session["sid"] = secrets.token_urlsafe(16)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = services.register(form.email.data, form.display_name.data, form.password.data)
        except services.AccountError as error:
            show_on_form(form, error)
        else:
            _start_session(user)
            return redirect(url_for("accounts.check_email"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/signup/check-email")
@login_required
def check_email():
    return render_template("accounts/check_email.html")


@bp.route("/verify/<token>")
def verify_email(token):
    user = services.verify_email(token)
    if user is None:
        return render_template("accounts/link_invalid.html", kind="verify"), 400
    flash("Thank you. Your email address is confirmed.", "success")
    return redirect(url_for("accounts.account") if current_user.is_authenticated else url_for("accounts.login"))


@bp.route("/verify/resend", methods=["POST"])
@login_required
@limiter.limit("3 per hour", methods=["POST"])
def resend_verification():
    if ButtonForm().validate_on_submit() and not current_user.is_verified:
        services.send_verification_email(current_user)
        flash(f"We have sent a new link to {current_user.email}.", "success")
    return redirect(url_for("accounts.account"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
@limiter.limit(ACCOUNT_FAILURE_LIMIT, methods=["POST"], key_func=submitted_email_key,
               deduct_when=lambda response: response.status_code != 302)
def login():
    next_url = safe_next_url(request.args.get("next"), url_for("pages.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            flash(f"You are logged in. Welcome back, {user.display_name}.", "success")
            return redirect(next_url)
        form.form_errors.append("The email address or password is not right. Check them and try again, "
                                "or reset your password.")
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if ButtonForm().validate_on_submit():
        logout_user()
        session.clear()
        flash("You are logged out. Take care.", "success")
    return redirect(url_for("pages.home"))


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=submitted_email_key)
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
def reset_password(token):
    g.personal_data = True
    if services.user_for_reset_token(token) is None:
        return render_template("accounts/link_invalid.html", kind="reset"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except services.AccountError as error:
            show_on_form(form, error)
        else:
            _start_session(user)
            flash("Your password is changed and you are logged in. Any other devices were logged out.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/reset_password.html", form=form)


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
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.password.data, form.email.data)
        except services.AccountError as error:
            show_on_form(form, error)
        else:
            flash(f"We have sent a link to {services.normalise_email(form.email.data)}. Your email address "
                  "changes when you open it.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_email.html", form=form)


@bp.route("/account/email/<token>")
def confirm_email_change(token):
    user = services.confirm_email_change(token)
    if user is None:
        return render_template("accounts/link_invalid.html", kind="change-email"), 400
    flash(f"Your email address is now {user.email}.", "success")
    return redirect(url_for("accounts.account") if current_user.is_authenticated else url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(ADDRESS_LIMIT, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AccountError as error:
            show_on_form(form, error)
        else:
            # The login token changed: renew this browser's session so only the others are logged out.
            _start_session(current_user._get_current_object(), remember=bool(request.cookies.get(
                current_app.config["REMEMBER_COOKIE_NAME"])))
            flash("Your password is changed. Any other devices were logged out.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)
