"""Account pages: register, verify, login/logout, password reset, profile, organisations."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from eventday.accounts import operations as ops
from eventday.accounts.forms import (
    EmptyForm,
    LoginForm,
    MemberForm,
    OrganisationForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from eventday.accounts.models import ORGANISATION_KINDS, Organisation
from eventday.accounts.util import ORGANISATION_KIND_LABELS
from eventday.areas.models import Area
from eventday.extensions import db, limiter
from eventday.permissions import public
from eventday.util import safe_next

bp = Blueprint("accounts", __name__)


def _login_account_key() -> str:
    return "login-account:" + request.form.get("email", "").strip().lower()


def _token_error(exc: ops.InvalidToken) -> str:
    if exc.expired:
        return _("This link has expired. Ask for a new one.")
    return _("This link is not valid or has already been used.")


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("festivals.index"))
    form = RegisterForm()
    if request.method == "GET":
        form.locale.data = request.args.get("lang") or session.get("lang", "vi")
    if form.validate_on_submit():
        try:
            user = ops.register_user(
                form.email.data,
                form.password.data,
                form.full_name.data,
                phone=getattr(form.phone, "normalized", None),
                locale=form.locale.data,
            )
        except ops.EmailTaken:
            db.session.rollback()
            form.email.errors.append(_("An account with this email already exists."))
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome! We sent you an email to confirm your address."), "success")
            return redirect(url_for("festivals.index"))
    return render_template("accounts/register.html", form=form)


@bp.get("/verify/<token>")
@public
def verify_email(token: str):
    try:
        ops.verify_email(token)
    except ops.InvalidToken as exc:
        flash(_token_error(exc), "danger")
        return redirect(url_for("festivals.index"))
    db.session.commit()
    flash(_("Your email address is confirmed."), "success")
    return redirect(url_for("festivals.index"))


@bp.post("/verify/resend")
@login_required
def resend_verification():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.email_verified_at is None:
        ops.send_verification(current_user)
        db.session.commit()
        flash(_("We sent the confirmation email again."), "info")
    return redirect(url_for("accounts.profile"))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_IP"],
    methods=["POST"],
    key_func=lambda: "login-ip:" + (request.remote_addr or ""),
)
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"],
    methods=["POST"],
    key_func=_login_account_key,
)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = ops.find_user_by_email(form.email.data)
        if user is None or not user.check_password(form.password.data):
            form.password.errors.append(_("Wrong email or password."))
        elif not user.is_active:
            form.email.errors.append(_("This account is disabled. Contact the organizers."))
        else:
            login_user(user, remember=form.remember.data)
            ops.record_login(user)
            db.session.commit()
            session["lang"] = user.locale
            flash(_("You are logged in."), "success")
            return redirect(safe_next(form.next.data, url_for("festivals.my_festivals")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You are logged out."), "info")
    return redirect(url_for("festivals.index"))


@bp.route("/reset", methods=["GET", "POST"])
@public
@limiter.limit("10/hour", methods=["POST"])
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        ops.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            _("If an account exists for that address, we sent it a link to reset the password."),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        ops.user_for_reset_token(token)
    except ops.InvalidToken as exc:
        flash(_token_error(exc), "danger")
        return redirect(url_for("accounts.request_reset"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        ops.reset_password(token, form.password.data)
        db.session.commit()
        flash(_("Your password was changed. Log in with the new one."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.phone.data = current_user.phone and _display_phone(current_user.phone)
    if form.validate_on_submit():
        ops.update_profile(
            current_user,
            full_name=form.full_name.data,
            phone=getattr(form.phone, "normalized", None),
            locale=form.locale.data,
        )
        db.session.commit()
        session["lang"] = form.locale.data
        flash(_("Your profile was saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html", form=form, action_form=EmptyForm(), kinds=ORGANISATION_KIND_LABELS
    )


def _display_phone(e164: str) -> str:
    from eventday.i18n import format_phone

    return format_phone(e164)


@bp.get("/profile/data.json")
@login_required
def export_data():
    payload = json.dumps(ops.export_personal_data(current_user), ensure_ascii=False, indent=2)
    return Response(
        payload,
        mimetype="application/json",
        headers={"Content-Disposition": "attachment; filename=eventday-my-data.json"},
    )


@bp.post("/profile/erase")
@login_required
def erase_account():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    ops.erase_user(current_user)
    db.session.commit()
    logout_user()
    flash(_("Your account and personal data were erased."), "info")
    return redirect(url_for("festivals.index"))


def _organisation_form() -> OrganisationForm:
    form = OrganisationForm()
    form.kind.choices = [
        SelectChoice(k, str(ORGANISATION_KIND_LABELS[k])) for k in ORGANISATION_KINDS
    ]
    return form


def _area_from_field(form) -> tuple[bool, Area | None]:
    raw = (form.area_id.data or "").strip()
    if not raw:
        return True, None
    area = db.session.get(Area, int(raw)) if raw.isdigit() else None
    if area is None:
        form.area_id.errors = [_("Unknown area. Pick one from the list.")]
        return False, None
    return True, area


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def create_organisation():
    form = _organisation_form()
    if form.validate_on_submit():
        ok, area = _area_from_field(form)
        if ok:
            org = ops.create_organisation(
                current_user,
                form.name.data,
                form.kind.data,
                area=area,
                tax_code=form.tax_code.data,
                website=form.website.data,
            )
            db.session.commit()
            flash(_("Organisation created."), "success")
            return redirect(url_for("accounts.show_organisation", org_id=org.id))
    return render_template("accounts/organisation_form.html", form=form)


def _member_org(org_id: int) -> Organisation:
    org = db.get_or_404(Organisation, org_id)
    if not current_user.is_admin and not any(m.user_id == current_user.id for m in org.members):
        abort(403)
    return org


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@login_required
def show_organisation(org_id: int):
    org = _member_org(org_id)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            ops.add_member(org, form.email.data)
        except ops.UnknownUser:
            db.session.rollback()
            form.email.errors.append(_("No account uses this email. Ask them to register first."))
        except ops.AlreadyMember:
            db.session.rollback()
            form.email.errors.append(_("This person is already a member."))
        else:
            db.session.commit()
            flash(_("Member added."), "success")
            return redirect(url_for("accounts.show_organisation", org_id=org.id))
    return render_template(
        "accounts/organisation.html", org=org, form=form, kinds=ORGANISATION_KIND_LABELS
    )


from eventday.accounts import tokens  # noqa: E402,F401 - API token pages on bp
