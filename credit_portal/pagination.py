"""Pagination for the public pages and the public API: bounded, and never an exact count.

Public lists run over millions of records. Django's ``Paginator`` and DRF's
``LimitOffsetPagination`` run an exact ``COUNT(*)`` of the whole filtered set
on every page and honour any ``offset``/``limit`` asked for, so one anonymous
request could read (and hold in memory) the whole table.

* HTML pages (``bounded_page``): a fixed page size, at most
  ``PUBLIC_MAX_PAGES`` pages deep (a deeper page number shows the last page
  allowed, with a hint to narrow the search); one row past the page tells
  whether there is a next page. No count.
* The public API (``KeysetPagination``): ``limit`` clamped to
  ``PUBLIC_PAGE_SIZE_MAX``, and an opaque ``cursor`` naming the last row seen,
  so any page deep costs what the first one does (an index range scan from
  the cursor on the list's ordering index). No count.
* Every other API list (``CappedLimitOffsetPagination``): ``limit`` clamped to
  ``API_PAGE_SIZE_MAX``.
"""

import base64
import binascii
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

# --- HTML pages -----------------------------------------------------------------------------


@dataclass
class BoundedPage:
    """One page of a public list; the attributes the pagination template reads (no count, no last page)."""

    object_list: list
    number: int
    has_next: bool
    # The page asked for was deeper than the pages offered: this is the last one offered instead.
    clamped: bool = False
    # There are rows past the last page offered: the visitor has to narrow the search to see them.
    truncated: bool = False
    max_pages: int = 0

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_previous(self):
        return self.number > 1

    def has_other_pages(self):
        return self.has_previous() or self.has_next

    def previous_page_number(self):
        return self.number - 1

    def next_page_number(self):
        return self.number + 1


def page_number(raw) -> int:
    """The page asked for in ``?page=``; anything that is not a positive number is the first page."""
    try:
        number = int(str(raw or "1").strip())
    except ValueError:
        return 1
    return max(number, 1)


def bounded_page(queryset: QuerySet, raw_number, *, per_page: int, max_pages: int | None = None) -> BoundedPage:
    """One page of ``queryset`` (already ordered on an indexed key), at most ``max_pages`` deep, without a count.

    The deepest offset read is ``(max_pages - 1) * per_page``: an index walk of a few thousand entries at most.
    """
    max_pages = max_pages or settings.PUBLIC_MAX_PAGES
    asked = page_number(raw_number)
    number = min(asked, max_pages)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    more = len(rows) > per_page
    # Past the end (a stale link) is an empty page with a way back, not a count to find the last page.
    return BoundedPage(
        object_list=rows[:per_page],
        number=number,
        has_next=more and number < max_pages,
        clamped=asked > max_pages,
        truncated=more and number >= max_pages,
        max_pages=max_pages,
    )


class BoundedPaginationMixin:
    """For ``ListView``/``FilterView``: ``bounded_page`` in place of Django's counting ``Paginator``.

    The context keeps ListView's names: ``page_obj``, ``is_paginated`` and the object list.
    """

    def paginate_queryset(self, queryset, page_size):
        page = bounded_page(queryset, self.request.GET.get(self.page_kwarg), per_page=page_size)
        return None, page, page.object_list, page.has_other_pages()


# --- API --------------------------------------------------------------------------------------


def _clamped_limit(raw, *, default: int, maximum: int) -> int:
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        return default
    if limit < 1:
        return default
    return min(limit, maximum)


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset with ``limit`` clamped to ``API_PAGE_SIZE_MAX`` (DRF honours any limit otherwise)."""

    @property
    def max_limit(self):
        return settings.API_PAGE_SIZE_MAX


class KeysetPagination(BasePagination):
    """Forward pages of a list ordered newest first on ``(<date field> DESC, pk DESC)``, by cursor.

    The cursor is the last row's ``(date, pk)``, base64-encoded; the next page is
    ``date < d OR (date = d AND pk < pk)``, written with a leading ``date <= d`` so PostgreSQL starts
    its index scan at the cursor instead of filtering its way there.
    """

    date_field = "decision_date"
    cursor_query_param = "cursor"
    limit_query_param = "limit"
    invalid_cursor_message = (
        "分页游标 cursor 无效，请使用上一页响应中 next 链接给出的地址，或去掉 cursor 从第一页查起。"
    )

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = _clamped_limit(
            request.query_params.get(self.limit_query_param),
            default=min(settings.PUBLIC_PAGE_SIZE, settings.PUBLIC_PAGE_SIZE_MAX),
            maximum=settings.PUBLIC_PAGE_SIZE_MAX,
        )
        cursor = self.decode_cursor(request.query_params.get(self.cursor_query_param))
        if cursor is not None:
            day, pk = cursor
            field = self.date_field
            queryset = queryset.filter(**{f"{field}__lte": day}).filter(
                Q(**{f"{field}__lt": day}) | Q(**{field: day, "pk__lt": pk})
            )
        rows = list(queryset.order_by(f"-{self.date_field}", "-pk")[: self.limit + 1])
        self.has_next = len(rows) > self.limit
        rows = rows[: self.limit]
        self.last = rows[-1] if rows else None
        return rows

    def decode_cursor(self, raw):
        if not raw:
            return None
        try:
            text = base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)).decode("ascii")
            day, _, pk = text.partition("|")
            return datetime.date.fromisoformat(day), int(pk)
        except (ValueError, UnicodeError, binascii.Error):
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None

    def encode_cursor(self, row) -> str:
        text = f"{getattr(row, self.date_field).isoformat()}|{row.pk}"
        return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")

    def get_next_link(self):
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, "offset")
        url = replace_query_param(url, self.limit_query_param, self.limit)
        return replace_query_param(url, self.cursor_query_param, self.encode_cursor(self.last))

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "下一页的地址（含 cursor）；没有下一页时为 null。本接口不提供总条数。",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"每页条数，默认 {settings.PUBLIC_PAGE_SIZE}，最多 {settings.PUBLIC_PAGE_SIZE_MAX}"
                    "（超过按最大值返回）。"
                ),
                "schema": {"type": "integer"},
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "分页游标：取上一页响应 next 地址中的值；不传为第一页。",
                "schema": {"type": "string"},
            },
        ]


def status_page(request, queryset: QuerySet, choices, *, default: str = "", per_page: int = 50) -> tuple[Page, str]:
    """A staff list filtered by ``?status=`` (one of ``choices``' values; anything else means all) and paged."""
    status = request.GET.get("status", default)
    if status in choices.values:
        queryset = queryset.filter(status=status)
    else:
        status = ""
    return Paginator(queryset, per_page).get_page(request.GET.get("page")), status
