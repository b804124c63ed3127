"""A statement timeout for the public pages and the public API.

Anyone may call these, with any filter; one slow query must not hold a worker
(and a PostgreSQL backend) for minutes. A view marked with ``@public_query``
(or a class with ``public_query = True``) runs, for GET and HEAD, inside one
transaction that starts with ``SET LOCAL statement_timeout`` — local to that
transaction, so a pooled connection goes back to its normal settings at the
commit or rollback, whatever happened. A cancelled statement rolls the
transaction back and the visitor gets a 503 in Chinese (JSON on the API)
instead of a 500.

Only on PostgreSQL: on SQLite (the embedded ``bin/dev`` default) nothing here
runs. With a read replica (credit_portal/db_router.py) the transaction and the
timeout are on the connection the request reads from, ``request.db_read_alias``.
"""

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

TIMEOUT_MESSAGE = "查询超时：当前查询条件涉及的数据过多，请增加或细化查询条件后重试，或稍后再试。"
READ_METHODS = frozenset({"GET", "HEAD"})


def public_query(view):
    """Mark a function view (or return a class view's ``as_view()`` unchanged, marked) for the timeout."""
    view.public_query = True
    return view


def is_public_query(func) -> bool:
    return bool(
        getattr(func, "public_query", False)
        or getattr(getattr(func, "view_class", None), "public_query", False)
        or getattr(getattr(func, "cls", None), "public_query", False)  # DRF's as_view()
    )


def is_statement_timeout(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and isinstance(exc.__cause__, psycopg.errors.QueryCanceled)


def timeout_response(request):
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": TIMEOUT_MESSAGE}, status=503)
    else:
        response = render(request, "errors/public_timeout.html", {"message": TIMEOUT_MESSAGE}, status=503)
    response["Retry-After"] = "30"
    return response


class _TimedOut(Exception):
    """Leaves the atomic block (rolling it back) before the 503 page is rendered outside it."""


class PublicQueryTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.PUBLIC_STATEMENT_TIMEOUT_MS
        alias = getattr(request, "db_read_alias", DEFAULT_DB_ALIAS)
        connection = connections[alias]
        if not timeout or request.method not in READ_METHODS or connection.vendor != "postgresql":
            return self.get_response(request)
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return self.get_response(request)
        if not is_public_query(match.func):
            return self.get_response(request)
        request.public_query = True
        try:
            with transaction.atomic(using=alias):
                with connection.cursor() as cursor:
                    # set_config(…, true) is SET LOCAL with a bound parameter. No parallel workers either:
                    # a public page reads a few dozen rows down an index, where starting workers costs
                    # more than it saves, and a slow query must not take more of the CPUs than one.
                    # JIT off: a bad estimate can pass jit_above_cost and spend a second compiling a query
                    # that then reads twenty rows.
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, true), "
                        "set_config('max_parallel_workers_per_gather', %s, true), set_config('jit', 'off', true)",
                        [f"{int(timeout)}ms", str(settings.PUBLIC_PARALLEL_WORKERS)],
                    )
                response = self.get_response(request)
                if getattr(response, "public_query_timed_out", False):
                    raise _TimedOut
                return response
        except _TimedOut:
            # The transaction is rolled back now: the 503 page may read the session, say.
            return timeout_response(request)

    def process_exception(self, request, exception):
        # Raised by the view or while its template rendered: Django calls this before turning the
        # exception into a 500. Nothing may be rendered while the aborted transaction is still open.
        if getattr(request, "public_query", False) and is_statement_timeout(exception):
            transaction.set_rollback(True, using=getattr(request, "db_read_alias", DEFAULT_DB_ALIAS))
            response = JsonResponse({}, status=503)
            response.public_query_timed_out = True
            return response
        return None
