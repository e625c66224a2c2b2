"""The account pages and their JSON twins: verify an address, forgot and reset a password, and
the account page (change password or address, sessions and "log out everywhere", export, delete).

Every rule lives in ``papersift.features.account_settings``; these routes turn forms and JSON
into its calls. Links mailed to people open pages that ask before they act (a GET changes
nothing: mail scanners and previews follow links), and every state-changing call needs the CSRF
token like every other form and API call.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from papersift.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    RateLimitedError,
)
from papersift.features import addresses
from papersift.features.passwords import MAX_LENGTH, MIN_LENGTH
from papersift.store.users import User
from papersift.web import interest_views, models, views
from papersift.web.deps import checked_csrf, engine_of, logged_in_user, visitor
from papersift.web.pages import redirect, render
from papersift.web.security import SESSION_COOKIE, client_address
from papersift.web.views import Visitor

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api = APIRouter(prefix="/api", tags=["accounts"])

VisitorDep = Annotated[Visitor, Depends(visitor)]
UserDep = Annotated[User, Depends(logged_in_user)]
CSRF = Depends(checked_csrf)
Password = Annotated[str, Form(max_length=MAX_LENGTH)]
Email = Annotated[str, Form(max_length=320)]
Done = Literal["password", "email", "verification"]
FORGOT_ANSWER = (
    "if an account uses this address, a link to reset its password is on its way; it works "
    "once, within {minutes} minutes"
)
DONE_NOTICES = {
    "password": "Your password is changed; every other session was logged out.",
    "email": "A link to confirm your new address is on its way; the address changes when it is "
    "opened. Your old address was told.",
    "verification": "A new confirmation link is on its way to your address.",
}


# the models --------------------------------------------------------------------------------------


class AccountOut(BaseModel):
    id: int
    email: str
    display_name: str
    email_verified: bool = Field(
        description="False until the link mailed to the address is "
        "opened: no digest or alert goes to it until then."
    )
    email_verified_at: dt.datetime | None
    created_at: dt.datetime


class SessionOut(BaseModel):
    id: str = Field(description="A short handle, not the session's secret.")
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    user_agent: str
    current: bool = Field(description="The session of this request.")


class AccountView(BaseModel):
    account: AccountOut
    sessions: list[SessionOut]
    session_idle_hours: int = Field(description="A session unused this long ends.")
    session_days: int = Field(description="A session ends this long after login at the latest.")
    export_url: str


class AccountExport(BaseModel):
    """Everything the site keeps about one account, each part as its own API call returns it."""

    exported_at: dt.datetime
    account: AccountOut
    sessions: list[SessionOut]
    upvoted: list[models.PaperSummary]
    not_interested: list[models.DismissalOut]
    follows: list[models.FollowOut]
    collections: list[models.CollectionDetail]
    saved_searches: models.SavedSearchesView
    digest: models.DigestSettingsOut


class LinkOut(BaseModel):
    purpose: str = Field(description="verify (an address) or reset (a password)")
    email: str = Field(description="The address the link was sent to.")


class MessageOut(BaseModel):
    message: str


class PasswordsIn(BaseModel):
    current_password: str = Field(max_length=MAX_LENGTH)
    new_password: str = Field(max_length=MAX_LENGTH)


class EmailIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=MAX_LENGTH, description="The current password.")


class PasswordIn(BaseModel):
    password: str = Field(max_length=MAX_LENGTH)


class ForgotIn(BaseModel):
    email: str = Field(max_length=320)


class PasswordChangedOut(BaseModel):
    sessions_ended: int = Field(description="Other sessions logged out.")


# the views ---------------------------------------------------------------------------------------


def account_out(user: User) -> AccountOut:
    return AccountOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        email_verified=user.verified,
        email_verified_at=user.email_verified_at,
        created_at=user.created_at,
    )


def _sessions(request: Request, user: User) -> list[SessionOut]:
    current = request.cookies.get(SESSION_COOKIE)
    found = engine_of(request).account_settings.sessions(user, current=current)
    return [
        SessionOut(
            id=s.id,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            expires_at=s.expires_at,
            user_agent=s.user_agent,
            current=s.current,
        )
        for s in found
    ]


def account_view(request: Request, user: User) -> AccountView:
    settings = engine_of(request).settings
    return AccountView(
        account=account_out(user),
        sessions=_sessions(request, user),
        session_idle_hours=settings.session_idle_hours,
        session_days=settings.session_days,
        export_url="/api/account/export",
    )


def export(request: Request, who: Visitor, user: User) -> AccountExport:
    engine = who.engine
    voted = engine.papers_voted_by(user)
    papers = engine.papers_by_id(voted)
    return AccountExport(
        exported_at=engine.clock(),
        account=account_out(user),
        sessions=_sessions(request, user),
        upvoted=views.summaries(who, [papers[i] for i in voted if i in papers]),
        not_interested=[
            models.DismissalOut(paper_id=paper_id, dismissed=True)
            for paper_id in engine.interests.dismissed(user.id)
        ],
        follows=[interest_views.follow_out(k, v) for k, v in engine.interests.follows_of(user.id)],
        collections=[views.collection(who, c.id) for c in engine.library.of_user(user)],
        saved_searches=interest_views.saved_searches(who, user),
        digest=interest_views.digest_settings(who, user),
    )


def _forgot_answer(request: Request) -> str:
    return FORGOT_ANSWER.format(minutes=engine_of(request).settings.reset_link_minutes)


def _logged_out(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _forget_visitor(request: Request) -> None:
    """The page rendered next shows a logged-out visitor (their session just ended)."""
    request.state.user = None


def _notice(request: Request, title: str, message: str, status: int = 200) -> Response:
    return render(request, "account_notice.html", status, title=title, message=message)


# verify an address -------------------------------------------------------------------------------


@router.get(addresses.VERIFY)
def verify_page(request: Request, token: str) -> Response:
    """Asks only: link scanners and previews follow GETs, so a GET must not use the link."""
    link = engine_of(request).account_settings.check_link(token, "verify")
    return render(request, "verify.html", token=token, email=link.email)


@router.post(addresses.VERIFY, dependencies=[CSRF])
def verify(request: Request, token: str) -> Response:
    user = engine_of(request).account_settings.verify(token)
    message = f"{user.email} is confirmed: digests and alerts you choose will reach it."
    return _notice(request, "Address confirmed", message)


@api.get("/verify/{token}", summary="What an emailed verification link is for (page: /verify)")
def api_verify_link(request: Request, token: str) -> LinkOut:
    link = engine_of(request).account_settings.check_link(token, "verify")
    return LinkOut(purpose=link.purpose, email=link.email)


@api.post("/verify/{token}", dependencies=[CSRF], summary="Use a verification link (once)")
def api_verify(request: Request, token: str) -> AccountOut:
    return account_out(engine_of(request).account_settings.verify(token))


@router.post("/account/verification", dependencies=[CSRF])
def resend_verification(request: Request, user: UserDep) -> Response:
    try:
        engine_of(request).account_settings.resend_verification(
            user, client=client_address(request)
        )
    except (RateLimitedError, ConflictError) as error:
        return _account_page(request, user, error=str(error), status=_status(error))
    return redirect("/account?done=verification")


@api.post(
    "/account/verification",
    status_code=202,
    dependencies=[CSRF],
    summary="Mail a new verification link (rate-limited)",
)
def api_resend_verification(request: Request, user: UserDep) -> MessageOut:
    engine_of(request).account_settings.resend_verification(user, client=client_address(request))
    return MessageOut(message=f"a new confirmation link is on its way to {user.email}")


# forgot and reset a password ---------------------------------------------------------------------


@router.get("/forgot-password")
def forgot_password_form(request: Request) -> Response:
    return render(request, "forgot_password.html", sent=None, error=None)


@router.post("/forgot-password", dependencies=[CSRF])
def forgot_password(request: Request, email: Email) -> Response:
    try:
        engine_of(request).account_settings.request_reset(email, client=client_address(request))
    except RateLimitedError as error:
        response = render(request, "forgot_password.html", 429, sent=None, error=str(error))
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    return render(request, "forgot_password.html", sent=_forgot_answer(request), error=None)


@api.post(
    "/forgot-password",
    status_code=202,
    dependencies=[CSRF],
    summary="Mail a password reset link (the same answer whether the address has an account)",
)
def api_forgot_password(request: Request, body: ForgotIn) -> MessageOut:
    engine_of(request).account_settings.request_reset(body.email, client=client_address(request))
    return MessageOut(message=_forgot_answer(request))


@router.get(addresses.RESET_PASSWORD)
def reset_password_form(request: Request, token: str) -> Response:
    link = engine_of(request).account_settings.check_link(token, "reset")
    return render(request, "reset_password.html", token=token, email=link.email, error=None)


@router.post(addresses.RESET_PASSWORD, dependencies=[CSRF])
def reset_password(request: Request, token: str, password: Password) -> Response:
    settings = engine_of(request).account_settings
    try:
        user = settings.reset_password(token, password)
    except InvalidInputError as error:
        link = settings.check_link(token, "reset")  # a used or expired link: the error page
        return render(
            request, "reset_password.html", 400, token=token, email=link.email, error=str(error)
        )
    message = (
        f"The password of {user.email} is changed and every session was logged out. "
        "Log in with the new password."
    )
    _forget_visitor(request)
    return _logged_out(_notice(request, "Password changed", message))


@api.get("/reset-password/{token}", summary="What a reset link is for (page: /reset-password)")
def api_reset_link(request: Request, token: str) -> LinkOut:
    link = engine_of(request).account_settings.check_link(token, "reset")
    return LinkOut(purpose=link.purpose, email=link.email)


@api.post(
    "/reset-password/{token}",
    dependencies=[CSRF],
    summary="Use a reset link (once): set the password, log out every session",
)
def api_reset_password(request: Request, token: str, body: PasswordIn) -> Response:
    user = engine_of(request).account_settings.reset_password(token, body.password)
    return _logged_out(JSONResponse(account_out(user).model_dump(mode="json")))


# the account page --------------------------------------------------------------------------------


def _status(error: Exception) -> int:
    if isinstance(error, RateLimitedError):
        return 429
    if isinstance(error, AuthenticationError):
        return 401
    return 409 if isinstance(error, ConflictError) else 400


def _account_page(
    request: Request,
    user: User,
    *,
    error: str | None = None,
    status: int = 200,
    done: str | None = None,
    form: str | None = None,
) -> Response:
    view = account_view(request, user)
    return render(
        request,
        "account.html",
        status,
        view=view,
        error=error,
        error_form=form,
        notice=DONE_NOTICES.get(done or ""),
        min_length=MIN_LENGTH,
    )


@router.get("/account")
def account_page(
    request: Request, user: UserDep, done: Annotated[Done | None, Query()] = None
) -> Response:
    return _account_page(request, user, done=done)


@api.get("/account", summary="Your account and its sessions (page: /account)")
def api_account(request: Request, user: UserDep) -> AccountView:
    return account_view(request, user)


@router.post("/account/password", dependencies=[CSRF])
def change_password(
    request: Request, user: UserDep, current_password: Password, new_password: Password
) -> Response:
    try:
        engine_of(request).account_settings.change_password(
            user, current_password, new_password, keep=request.cookies.get(SESSION_COOKIE)
        )
    except (InvalidInputError, AuthenticationError, RateLimitedError) as error:
        return _account_page(
            request, user, error=str(error), status=_status(error), form="password"
        )
    return redirect("/account?done=password")


@api.put(
    "/account/password",
    dependencies=[CSRF],
    summary="Change your password (asks the current one); other sessions end",
)
def api_change_password(request: Request, user: UserDep, body: PasswordsIn) -> PasswordChangedOut:
    ended = engine_of(request).account_settings.change_password(
        user, body.current_password, body.new_password, keep=request.cookies.get(SESSION_COOKIE)
    )
    return PasswordChangedOut(sessions_ended=ended)


@router.post("/account/email", dependencies=[CSRF])
def change_email(request: Request, user: UserDep, email: Email, password: Password) -> Response:
    try:
        engine_of(request).account_settings.change_email(
            user, password, email, client=client_address(request)
        )
    except (InvalidInputError, AuthenticationError, ConflictError, RateLimitedError) as error:
        return _account_page(request, user, error=str(error), status=_status(error), form="email")
    return redirect("/account?done=email")


@api.put(
    "/account/email",
    status_code=202,
    dependencies=[CSRF],
    summary="Change your address: it changes when the link mailed to the new one is opened",
)
def api_change_email(request: Request, user: UserDep, body: EmailIn) -> MessageOut:
    address = engine_of(request).account_settings.change_email(
        user, body.password, body.email, client=client_address(request)
    )
    return MessageOut(message=f"a link to confirm {address} is on its way to it")


@router.post("/account/log-out-everywhere", dependencies=[CSRF])
def log_out_everywhere(request: Request, user: UserDep) -> Response:
    engine_of(request).account_settings.log_out_everywhere(user)
    return _logged_out(redirect("/login"))


@api.delete(
    "/account/sessions",
    status_code=204,
    dependencies=[CSRF],
    summary="Log out everywhere: end every session, this one too",
)
def api_log_out_everywhere(request: Request, user: UserDep) -> Response:
    engine_of(request).account_settings.log_out_everywhere(user)
    return _logged_out(Response(status_code=204))


@router.post("/account/delete", dependencies=[CSRF])
def delete_account(request: Request, user: UserDep, password: Password) -> Response:
    try:
        engine_of(request).account_settings.delete_account(user, password)
    except (AuthenticationError, RateLimitedError) as error:
        return _account_page(request, user, error=str(error), status=_status(error), form="delete")
    message = "Your account and everything it held are deleted. Thank you for reading with us."
    _forget_visitor(request)
    return _logged_out(_notice(request, "Account deleted", message))


@api.delete(
    "/account",
    status_code=204,
    dependencies=[CSRF],
    summary="Delete your account and everything it holds (asks the password)",
)
def api_delete_account(request: Request, user: UserDep, body: PasswordIn) -> Response:
    engine_of(request).account_settings.delete_account(user, body.password)
    return _logged_out(Response(status_code=204))


@api.get("/account/export", summary="Everything kept about your account, as JSON (a download)")
def api_export(request: Request, who: VisitorDep, user: UserDep) -> Response:
    data: dict[str, Any] = export(request, who, user).model_dump(mode="json")
    stamp = who.engine.clock().date().isoformat()
    return Response(
        orjson.dumps(data, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="papersift-account-{stamp}.json"'},
    )
