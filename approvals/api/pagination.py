"""Page-number pagination: `count`, `next`, `previous`, `results`; ?page= and ?page_size=."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class PortalPagination(PageNumberPagination):
    """50 per page by default; a client may ask for up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
