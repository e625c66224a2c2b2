"""Every route of the app has a test: a new route without one makes this test fail.

``COVERED`` names, for each (method, path) of the app, the test that exercises it; the test
checks that the app has exactly these routes and that every named test exists.
"""

from __future__ import annotations

import importlib
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from starlette.routing import Mount

DISCUSSION = "test_discussion::"
COMMUNITY = "test_community::"
READING = "test_reading::"
MINE = "test_my_library::"
STREAMS = "test_streams::test_a_collection_stream_recommends_papers_like_its_own"
HIDE_SEEN = READING + "test_hide_seen_hides_read_and_seen_papers_from_the_feed"
FORMS = DISCUSSION + "test_comment_reply_edit_and_delete_with_forms"
MODERATORS = DISCUSSION + "test_reports_reach_the_moderators_who_hide_comments"
COVERED: dict[tuple[str, str], str] = {
    # collection streams
    ("GET", "/collections/{collection_id}/stream"): STREAMS,
    ("GET", "/api/collections/{collection_id}/stream"): STREAMS,
    ("GET", "/feeds/streams/{token}.{kind}"): STREAMS,
    # notes and library search
    ("GET", "/library/search"): MINE + "test_library_search_finds_papers_by_text_note_and_tag",
    ("GET", "/api/library/search"): MINE + "test_library_search_finds_papers_by_text_note_and_tag",
    ("POST", "/notes"): MINE + "test_a_private_note_rendered_safely",
    ("GET", "/api/notes/{paper_id:path}"): MINE + "test_a_private_note_rendered_safely",
    ("PUT", "/api/notes/{paper_id:path}"): MINE + "test_a_private_note_rendered_safely",
    ("DELETE", "/api/notes/{paper_id:path}"): MINE + "test_a_private_note_rendered_safely",
    # the reading workflow
    ("POST", "/reading-list"): READING + "test_read_later_saves_to_the_reading_list",
    ("POST", "/read"): READING + "test_the_forms_mark_read_mark_a_page_seen_and_toggle_hiding",
    ("POST", "/seen"): READING + "test_the_forms_mark_read_mark_a_page_seen_and_toggle_hiding",
    ("POST", "/settings/hide-seen"): READING
    + "test_the_forms_mark_read_mark_a_page_seen_and_toggle_hiding",
    ("PUT", "/api/reading-list/{paper_id:path}"): READING
    + "test_read_later_saves_to_the_reading_list",
    ("PUT", "/api/read/{paper_id:path}"): HIDE_SEEN,
    ("DELETE", "/api/read/{paper_id:path}"): HIDE_SEEN,
    ("POST", "/api/seen"): HIDE_SEEN,
    ("GET", "/api/settings/reading"): HIDE_SEEN,
    ("PUT", "/api/settings/reading"): HIDE_SEEN,
    # public collections and profiles
    ("GET", "/public-collections"): COMMUNITY
    + "test_directory_lists_public_collections_with_papers",
    ("GET", "/api/public-collections"): COMMUNITY + "test_upvotes_order_the_directory",
    ("POST", "/collections/{collection_id}/votes"): COMMUNITY + "test_upvotes_order_the_directory",
    ("POST", "/api/collections/{collection_id}/votes"): COMMUNITY
    + "test_upvotes_order_the_directory",
    ("GET", "/users/{user_id}"): COMMUNITY + "test_profile_shows_only_what_was_made_public",
    ("GET", "/api/users/{user_id}"): COMMUNITY + "test_profile_shows_only_what_was_made_public",
    # discussion and moderation
    ("POST", "/comments"): FORMS,
    ("POST", "/comments/{comment_id}/edit"): FORMS,
    ("POST", "/comments/{comment_id}/delete"): FORMS,
    ("POST", "/comments/{comment_id}/report"): DISCUSSION + "test_report_needs_a_reason",
    ("POST", "/comments/{comment_id}/hide"): MODERATORS,
    ("POST", "/moderation/submissions"): DISCUSSION + "test_moderators_hide_submissions",
    ("GET", "/moderation"): MODERATORS,
    ("GET", "/api/comments"): DISCUSSION + "test_comment_and_reply_with_the_api",
    ("POST", "/api/comments"): DISCUSSION + "test_comment_and_reply_with_the_api",
    ("PATCH", "/api/comments/{comment_id}"): DISCUSSION + "test_only_the_author_edits_or_deletes",
    ("DELETE", "/api/comments/{comment_id}"): DISCUSSION + "test_only_the_author_edits_or_deletes",
    ("POST", "/api/comments/{comment_id}/report"): MODERATORS,
    ("POST", "/api/comments/{comment_id}/hide"): DISCUSSION
    + "test_hidden_parent_keeps_its_replies_without_its_text",
    ("POST", "/api/moderation/submissions"): DISCUSSION + "test_moderators_hide_submissions",
    ("GET", "/api/moderation"): MODERATORS,
    ("GET", "/feeds/comments.{kind}"): DISCUSSION + "test_hostile_comments_are_rendered_inert",
    # pages
    ("GET", "/"): "test_pages::test_feed_page_shows_what_the_api_returns",
    ("GET", "/feed"): "test_pages::test_feed_page_shows_what_the_api_returns",
    ("GET", "/trending"): "test_pages::test_trending_page_and_api_rank_recent_upvotes_first",
    ("GET", "/search"): "test_pages::test_search_page_shows_what_the_api_returns",
    ("GET", "/status"): "test_status::test_status_page_shows_what_the_api_returns",
    ("GET", "/api/status"): "test_status::test_status_page_shows_what_the_api_returns",
    ("GET", "/papers/{paper_id:path}"): "test_pages::test_paper_page_shows_what_the_api_returns",
    ("GET", "/bibtex/{paper_id:path}"): "test_pages::test_paper_bibtex_file",
    ("GET", "/authors/{name}"): "test_pages::test_author_page_shows_what_the_api_returns",
    ("GET", "/categories/{name}"): "test_pages::test_category_page_shows_what_the_api_returns",
    ("GET", "/signup"): "test_accounts::test_sign_up_with_the_form_logs_in",
    ("POST", "/signup"): "test_accounts::test_sign_up_with_the_form_logs_in",
    ("GET", "/login"): "test_accounts::test_log_in_and_out_with_the_forms",
    ("POST", "/login"): "test_accounts::test_log_in_and_out_with_the_forms",
    ("POST", "/logout"): "test_accounts::test_log_in_and_out_with_the_forms",
    ("POST", "/votes/{paper_id:path}"): "test_votes::test_upvote_toggle_form",
    ("GET", "/submit"): "test_submissions::test_the_submit_form",
    ("POST", "/submit"): "test_submissions::test_the_submit_form",
    (
        "GET",
        "/collections",
    ): "test_collections::test_create_edit_save_remove_and_delete_with_the_forms",
    (
        "POST",
        "/collections",
    ): "test_collections::test_create_edit_save_remove_and_delete_with_the_forms",
    (
        "POST",
        "/collections/add",
    ): "test_collections::test_create_edit_save_remove_and_delete_with_the_forms",
    (
        "GET",
        "/collections/{collection_id}",
    ): "test_collections::test_collection_page_shows_what_the_api_returns",
    (
        "POST",
        "/collections/{collection_id}/edit",
    ): "test_collections::test_create_edit_save_remove_and_delete_with_the_forms",
    (
        "POST",
        "/collections/{collection_id}/delete",
    ): "test_collections::test_create_edit_save_remove_and_delete_with_the_forms",
    (
        "POST",
        "/collections/{collection_id}/remove",
    ): "test_collections::test_create_edit_save_remove_and_delete_with_the_forms",
    # importing and exporting reference-manager files
    ("POST", "/collections/{collection_id}/import"): "test_library_import::"
    + "test_import_with_the_form_shows_the_report",
    ("POST", "/api/collections/{collection_id}/import"): "test_library_import::"
    + "test_api_import_refuses_what_it_cannot_read",
    ("GET", "/collections/{collection_id}/export.ris"): "test_library_import::"
    + "test_export_then_import_gives_the_same_collection",
    ("GET", "/collections/{collection_id}/export.csl.json"): "test_library_import::"
    + "test_export_then_import_gives_the_same_collection",
    (
        "GET",
        "/collections/{collection_id}/export.bib",
    ): "test_collections::test_export_bibtex_and_json",
    (
        "GET",
        "/collections/{collection_id}/export.json",
    ): "test_collections::test_export_bibtex_and_json",
    # the API
    ("GET", "/api/feed"): "test_pages::test_feed_page_shows_what_the_api_returns",
    ("GET", "/api/trending"): "test_pages::test_trending_page_and_api_rank_recent_upvotes_first",
    ("GET", "/api/search"): "test_pages::test_search_page_shows_what_the_api_returns",
    (
        "GET",
        "/api/papers/{paper_id:path}",
    ): "test_pages::test_paper_page_shows_what_the_api_returns",
    ("GET", "/api/authors/{name}"): "test_pages::test_author_page_shows_what_the_api_returns",
    ("GET", "/api/categories/{name}"): "test_pages::test_category_page_shows_what_the_api_returns",
    ("GET", "/api/auth/csrf"): "test_csrf::test_the_token_changes_at_login_and_logout",
    ("POST", "/api/auth/signup"): "test_accounts::test_sign_up_with_the_api_logs_in",
    ("POST", "/api/auth/login"): "test_accounts::test_log_in_and_out_with_the_api",
    ("POST", "/api/auth/logout"): "test_accounts::test_log_in_and_out_with_the_api",
    ("GET", "/api/me"): "test_accounts::test_log_in_and_out_with_the_api",
    ("PUT", "/api/votes/{paper_id:path}"): "test_votes::test_upvotes_through_the_api",
    ("DELETE", "/api/votes/{paper_id:path}"): "test_votes::test_upvotes_through_the_api",
    (
        "POST",
        "/api/submissions",
    ): "test_submissions::test_a_new_paper_is_fetched_and_added_to_todays_feed",
    (
        "GET",
        "/api/collections",
    ): "test_collections::test_create_list_rename_and_delete_with_the_api",
    (
        "POST",
        "/api/collections",
    ): "test_collections::test_create_list_rename_and_delete_with_the_api",
    (
        "GET",
        "/api/collections/{collection_id}",
    ): "test_collections::test_collection_page_shows_what_the_api_returns",
    (
        "PATCH",
        "/api/collections/{collection_id}",
    ): "test_collections::test_create_list_rename_and_delete_with_the_api",
    (
        "DELETE",
        "/api/collections/{collection_id}",
    ): "test_collections::test_create_list_rename_and_delete_with_the_api",
    (
        "PUT",
        "/api/collections/{collection_id}/papers/{paper_id:path}",
    ): "test_collections::test_papers_and_tags_with_the_api",
    (
        "DELETE",
        "/api/collections/{collection_id}/papers/{paper_id:path}",
    ): "test_collections::test_papers_and_tags_with_the_api",
    ("GET", "/api/openapi.json"): "test_errors::test_openapi_lists_the_api",
    ("GET", "/api/docs"): "test_pages::test_api_docs_are_served",
    # feeds and static files
    ("GET", "/feeds/daily.{kind}"): "test_feeds::test_daily_feeds_list_the_newest_days_papers",
    ("GET", "/feeds/trending.{kind}"): "test_feeds::test_trending_feeds",
    ("GET", "/feeds/search.{kind}"): "test_feeds::test_search_feeds_list_matches_newest_first",
    ("GET", "/feeds/collections/{collection_id}.{kind}"): "test_feeds::test_collection_atom_feed",
    ("GET", "/static"): "test_pages::test_static_files_are_served",
    # following papers: For you, follows, not interested, saved searches, digest
    ("GET", "/for-you"): "test_interests::test_for_you_page_shows_what_the_api_returns",
    ("GET", "/api/for-you"): "test_interests::test_for_you_page_shows_what_the_api_returns",
    (
        "POST",
        "/dismissals/{paper_id:path}",
    ): "test_interests::test_not_interested_with_the_form_and_the_api",
    (
        "PUT",
        "/api/dismissals/{paper_id:path}",
    ): "test_interests::test_not_interested_with_the_form_and_the_api",
    (
        "DELETE",
        "/api/dismissals/{paper_id:path}",
    ): "test_interests::test_not_interested_with_the_form_and_the_api",
    (
        "POST",
        "/follows/{kind}/{value:path}",
    ): "test_interests::test_follow_and_unfollow_authors_and_categories_with_the_forms",
    ("PUT", "/api/follows/{kind}/{value:path}"): "test_interests::test_follows_with_the_api",
    ("DELETE", "/api/follows/{kind}/{value:path}"): "test_interests::test_follows_with_the_api",
    ("GET", "/saved-searches"): "test_interests::test_save_search_with_the_form",
    ("POST", "/saved-searches"): "test_interests::test_save_search_with_the_form",
    (
        "GET",
        "/saved-searches/{search_id}",
    ): "test_interests::test_saved_search_matches_show_on_page_api_and_feed",
    (
        "POST",
        "/saved-searches/{search_id}/delete",
    ): "test_interests::test_save_search_with_the_form",
    ("GET", "/api/saved-searches"): "test_interests::test_saved_searches_with_the_api",
    ("POST", "/api/saved-searches"): "test_interests::test_saved_searches_with_the_api",
    (
        "GET",
        "/api/saved-searches/{search_id}",
    ): "test_interests::test_saved_searches_with_the_api",
    (
        "DELETE",
        "/api/saved-searches/{search_id}",
    ): "test_interests::test_saved_searches_with_the_api",
    ("GET", "/settings/digest"): "test_interests::test_digest_settings_page_and_api",
    ("POST", "/settings/digest"): "test_interests::test_digest_settings_page_and_api",
    ("GET", "/api/settings/digest"): "test_interests::test_digest_settings_page_and_api",
    ("PUT", "/api/settings/digest"): "test_interests::test_digest_settings_page_and_api",
    ("GET", "/unsubscribe/{token}"): "test_interests::test_unsubscribe_end_to_end",
    # accounts a public site offers
    (
        "GET",
        "/verify/{token}",
    ): "test_account_settings::test_sign_up_mails_a_verification_link_that_works_once",
    (
        "POST",
        "/verify/{token}",
    ): "test_account_settings::test_sign_up_mails_a_verification_link_that_works_once",
    (
        "GET",
        "/api/verify/{token}",
    ): "test_account_settings::test_sign_up_mails_a_verification_link_that_works_once",
    (
        "POST",
        "/api/verify/{token}",
    ): "test_account_settings::test_sign_up_mails_a_verification_link_that_works_once",
    (
        "POST",
        "/account/verification",
    ): "test_account_settings::test_resending_the_verification_link_is_rate_limited",
    (
        "POST",
        "/api/account/verification",
    ): "test_account_settings::test_resending_the_verification_link_is_rate_limited",
    (
        "GET",
        "/forgot-password",
    ): "test_account_settings::test_a_reset_link_works_once_expires_and_logs_out_every_session",
    (
        "POST",
        "/forgot-password",
    ): "test_account_settings::test_a_reset_link_works_once_expires_and_logs_out_every_session",
    (
        "POST",
        "/api/forgot-password",
    ): "test_account_settings::test_a_reset_link_works_once_expires_and_logs_out_every_session",
    (
        "GET",
        "/reset-password/{token}",
    ): "test_account_settings::test_a_reset_link_works_once_expires_and_logs_out_every_session",
    (
        "POST",
        "/reset-password/{token}",
    ): "test_account_settings::test_a_reset_link_works_once_expires_and_logs_out_every_session",
    (
        "GET",
        "/api/reset-password/{token}",
    ): "test_account_settings::test_a_reset_link_works_once_expires_and_logs_out_every_session",
    (
        "POST",
        "/api/reset-password/{token}",
    ): "test_account_settings::test_a_reset_link_works_once_expires_and_logs_out_every_session",
    ("GET", "/account"): "test_account_settings::test_account_page_shows_what_the_api_returns",
    ("GET", "/api/account"): "test_account_settings::test_account_page_shows_what_the_api_returns",
    (
        "POST",
        "/account/password",
    ): "test_account_settings::test_change_password_asks_the_current_one_and_ends_other_sessions",
    (
        "PUT",
        "/api/account/password",
    ): "test_account_settings::test_change_password_asks_the_current_one_and_ends_other_sessions",
    (
        "POST",
        "/account/email",
    ): "test_account_settings::"
    "test_change_email_is_confirmed_at_the_new_address_and_the_old_one_is_told",
    (
        "PUT",
        "/api/account/email",
    ): "test_account_settings::"
    "test_change_email_is_confirmed_at_the_new_address_and_the_old_one_is_told",
    ("POST", "/account/log-out-everywhere"): "test_account_settings::test_log_out_everywhere",
    ("DELETE", "/api/account/sessions"): "test_account_settings::test_log_out_everywhere",
    (
        "POST",
        "/account/delete",
    ): "test_account_settings::test_deleting_an_account_leaves_no_row_naming_the_user",
    (
        "DELETE",
        "/api/account",
    ): "test_account_settings::test_deleting_an_account_leaves_no_row_naming_the_user",
    (
        "GET",
        "/api/account/export",
    ): "test_account_settings::test_export_my_data_is_what_the_api_returns",
    ("POST", "/unsubscribe/{token}"): "test_interests::test_unsubscribe_end_to_end",
    ("GET", "/feeds/for-you/{token}.{kind}"): "test_interests::test_feed_tokens_are_checked",
    (
        "GET",
        "/feeds/saved-searches/{token}.{kind}",
    ): "test_interests::test_saved_search_matches_show_on_page_api_and_feed",
}


def all_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers; HEAD, which Starlette adds to GET, left out."""
    # FastAPI 0.16x keeps included routers as units; iter_route_contexts flattens them.
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes: list[Any] = list(flatten(app.routes)) if flatten else list(app.routes)
    found: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(getattr(route, "route", route), Mount):
            found.append(("GET", route.path))
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, route.path))
    return found


def test_every_route_has_a_test(app: FastAPI) -> None:
    routes = all_routes(app)
    assert len(routes) == len(set(routes)), "a (method, path) is declared twice"
    untested = sorted(set(routes) - set(COVERED))
    assert not untested, f"routes without a test (add one, then list it in COVERED): {untested}"
    gone = sorted(set(COVERED) - set(routes))
    assert not gone, f"COVERED lists routes the app no longer has: {gone}"
    for test in set(COVERED.values()):
        module_name, function = test.split("::")
        module = importlib.import_module(f"tests.web.{module_name}")
        assert callable(getattr(module, function, None)), f"no test {test}"
