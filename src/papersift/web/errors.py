"""One error shape for the API, friendly pages for people; never a 500 for bad input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from papersift import errors

log = logging.getLogger("papersift.web")

STATUS: list[tuple[type[errors.PapersiftError], int, str]] = [
    (errors.InvalidInputError, 400, "invalid_input"),
    (errors.InvalidIdError, 400, "invalid_id"),
    (errors.SettingsError, 400, "unavailable_option"),
    (errors.AuthenticationError, 401, "not_authenticated"),
    (errors.PermissionDeniedError, 403, "forbidden"),
    (errors.PaperNotFoundError, 404, "paper_not_found"),
    (errors.NotFoundError, 404, "not_found"),
    (errors.ConflictError, 409, "conflict"),
    (errors.SubmissionRefusedError, 422, "submission_refused"),
    (errors.RateLimitedError, 429, "rate_limited"),
    (errors.HarvestError, 502, "upstream_error"),
    (errors.IndexError_, 503, "index_unavailable"),
    (errors.StoreError, 503, "store_unavailable"),
]
PUBLIC_MESSAGES = {
    "index_unavailable": (
        "the search index is being built or repaired; try again in a minute (the site's "
        "operator sees the details in the server log and in papersift stats)"
    ),
    "store_unavailable": "the database cannot be reached right now; try again in a minute",
}
_HTTP_CODES = {
    400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 413: "too_large", 422: "invalid_input", 429: "rate_limited",
}  # fmt: skip
TITLES = {
    400: "That request did not make sense",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Already taken",
    413: "Too large",
    422: "Cannot accept that",
    429: "Slow down",
    500: "Something went wrong on our side",
    502: "arXiv did not answer",
    503: "Not ready yet",
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        body = {"error": {"status": status, "code": code, "message": message, "fields": fields}}
        return JSONResponse(body, status_code=status, headers=headers)
    render = request.app.state.render_error
    response: Response = render(request, status, TITLES.get(status, "Error"), message, fields)
    if headers:
        response.headers.update(headers)
    return response


def _status_of(error: errors.PapersiftError) -> tuple[int, str]:
    for kind, status, code in STATUS:
        if isinstance(error, kind):
            return status, code
    return 500, "internal_error"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.PapersiftError)
    async def _papersift_error(request: Request, error: errors.PapersiftError) -> Response:
        status, code = _status_of(error)
        if status == 401 and not wants_json(request) and request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        headers = None
        if isinstance(error, errors.RateLimitedError):
            headers = {"Retry-After": str(error.retry_after)}
        message = str(error)
        if status >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, error)
            # The detail (file paths, server names) is for the operator's log, not visitors.
            message = PUBLIC_MESSAGES.get(code, message)
        return error_response(request, status, code, message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> Response:
        fields = {
            ".".join(str(part) for part in problem["loc"] if part != "body"): str(problem["msg"])
            for problem in error.errors()
        }
        summary = "; ".join(f"{name}: {message}" for name, message in fields.items())
        return error_response(
            request, 422, "invalid_input", f"invalid input: {summary}"[:500], fields=fields
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        status = error.status_code
        message = str(error.detail) if error.detail else TITLES.get(status, "error")
        if status == 404 and message == "Not Found":
            message = f"nothing lives at {request.url.path[:200]}"
        headers = dict(error.headers) if error.headers else None
        return error_response(
            request, status, _HTTP_CODES.get(status, "error"), message, headers=headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(
            request, 500, "internal_error", "an unexpected error occurred; it has been logged"
        )
