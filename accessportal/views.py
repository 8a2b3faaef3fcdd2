"""Pages of the project itself: health. The signed-in pages live in approvals/views*.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.http import JsonResponse

if TYPE_CHECKING:
    from django.http import HttpRequest


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
