"""A collection's library files: importing BibTeX, RIS and CSL-JSON (the form on the collection
page and its JSON twin), exporting RIS and CSL-JSON (BibTeX and JSON are in ``pages``).

The rules are ``features.library_import`` and ``features.reference_formats``; uploads are
bounded by the site's request size limit (``app.MAX_BODY_BYTES``, 1 MB: 413 above it).
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from papersift.errors import InvalidInputError
from papersift.features.library_import import ImportedEntry, ImportReport, MatchedBy
from papersift.features.reference_formats import FORMATS, csl_json_many, ris_many
from papersift.store.users import User
from papersift.web import models, views
from papersift.web.deps import CollectionId, checked_csrf, logged_in_user, visitor
from papersift.web.pages import render
from papersift.web.views import Visitor

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(
    prefix="/api",
    responses={
        status: {"model": models.ErrorOut} for status in (400, 401, 403, 404, 413, 422, 429)
    },
)

VisitorDep = Annotated[Visitor, Depends(visitor)]
UserDep = Annotated[User, Depends(logged_in_user)]
CSRF = Depends(checked_csrf)
UPLOAD_LIMIT = 1_000_000  # the site's body limit; a file read here is never larger
Format = Literal["bibtex", "ris", "csl-json"]


class ImportedEntryOut(BaseModel):
    key: str = Field(description="The entry's key (BibTeX key, RIS ID, CSL id) or position")
    paper_id: str
    matched_by: MatchedBy = Field(
        description="By arXiv id, DOI or title; fetched: from arXiv, into the store"
    )
    added: bool = Field(description="False when the collection held the paper already")
    url: str


class SkippedEntryOut(BaseModel):
    key: str
    reason: str


class ImportReportOut(BaseModel):
    collection: models.CollectionSummary
    format: str = Field(description="bibtex, ris or csl-json")
    entries: int = Field(description="Entries in the file, malformed ones included")
    added: int = Field(description="Papers this import put into the collection")
    already: int = Field(description="Matched entries whose paper the collection held already")
    matched: list[ImportedEntryOut]
    fetched: list[ImportedEntryOut] = Field(description="arXiv papers fetched into the store")
    unmatched: list[SkippedEntryOut]
    malformed: list[SkippedEntryOut]


def report_out(who: Visitor, user: User, report: ImportReport) -> ImportReportOut:
    collection = who.engine.library.owned(user, report.collection.id)  # its size after
    return ImportReportOut(
        collection=views.collection_summary(collection),
        format=report.format,
        entries=report.entries,
        added=report.added,
        already=report.already,
        matched=[_entry(entry) for entry in report.matched],
        fetched=[_entry(entry) for entry in report.fetched],
        unmatched=[SkippedEntryOut(key=e.key, reason=e.reason) for e in report.unmatched],
        malformed=[SkippedEntryOut(key=e.key, reason=e.reason) for e in report.malformed],
    )


def _entry(entry: ImportedEntry) -> ImportedEntryOut:
    return ImportedEntryOut(
        key=entry.key,
        paper_id=entry.paper_id,
        matched_by=entry.matched_by,
        added=entry.added,
        url=f"/papers/{entry.paper_id}",
    )


def _run_import(
    who: Visitor, user: User, collection_id: int, upload: UploadFile | None, format: str
) -> ImportReport:
    if upload is None or not (upload.filename or upload.size):
        raise InvalidInputError("choose a BibTeX, RIS or CSL-JSON file to import")
    chosen = format or None
    if chosen is not None and chosen not in FORMATS:
        raise InvalidInputError(f"unknown format {chosen!r}: use one of {', '.join(FORMATS)}")
    data = upload.file.read(UPLOAD_LIMIT + 1)
    return who.engine.library_import.run(
        user, collection_id, data, filename=upload.filename or "", format=chosen
    )


# the page's form --------------------------------------------------------------------------


@router.post("/collections/{collection_id}/import", dependencies=[CSRF])
def import_page(
    request: Request,
    who: VisitorDep,
    user: UserDep,
    collection_id: CollectionId,
    file: Annotated[UploadFile | None, File()] = None,
    format: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Import the file, then show the collection with the import's report (or the problem)."""
    try:
        report = report_out(who, user, _run_import(who, user, collection_id, file, format))
    except InvalidInputError as error:
        view = views.collection(who, collection_id)
        return render(request, "collection.html", 400, view=view, import_error=str(error))
    view = views.collection(who, collection_id)
    return render(request, "collection.html", view=view, import_report=report)


# exports ---------------------------------------------------------------------------------


@router.get("/collections/{collection_id}/export.ris")
def export_ris(who: VisitorDep, collection_id: CollectionId) -> Response:
    view = who.engine.library.view(who.user, collection_id)
    return PlainTextResponse(
        ris_many(paper for paper, _ in view.items),
        media_type="application/x-research-info-systems",
        headers={"Content-Disposition": _attachment(view.collection.name, "ris")},
    )


@router.get("/collections/{collection_id}/export.csl.json")
def export_csl_json(who: VisitorDep, collection_id: CollectionId) -> Response:
    view = who.engine.library.view(who.user, collection_id)
    return Response(
        orjson.dumps(csl_json_many(paper for paper, _ in view.items), option=orjson.OPT_INDENT_2),
        media_type="application/vnd.citationstyles.csl+json",
        headers={"Content-Disposition": _attachment(view.collection.name, "csl.json")},
    )


def _attachment(name: str, suffix: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name[:80])}.{suffix}"


# the JSON twin ---------------------------------------------------------------------------


@api_router.post(
    "/collections/{collection_id}/import",
    tags=["collections"],
    dependencies=[CSRF],
    summary="Import a BibTeX, RIS or CSL-JSON file into a collection",
)
def api_import(
    who: VisitorDep,
    user: UserDep,
    collection_id: CollectionId,
    file: Annotated[UploadFile, File(description="The file (multipart), up to 1 MB")],
    format: Annotated[Format | None, Form(description="Default: from the name or content")] = None,
) -> ImportReportOut:
    """Entries are matched to stored papers by arXiv id, then DOI, then normalised title;
    arXiv papers not in the store are fetched (at most 50 an import). Importing the same file
    again adds nothing more. A file that cannot be read at all answers 400; a malformed entry
    is listed under ``malformed`` with its key."""
    return report_out(who, user, _run_import(who, user, collection_id, file, format or ""))
