import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

_DIGITS = re.compile(r"[0-9]+")


class BatchPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "pageSize"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        # DRF ignores a bad pageSize silently; a partner asking for "abc" or 0 gets told.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # ASCII digits only (str.isdigit() also accepts "²"); a number too long for int()
        # to read is simply more than the most a page holds.
        if not _DIGITS.fullmatch(raw) or not raw.strip("0"):
            raise ValidationError({"pageSize": f"Must be a whole number from 1 to {self.max_page_size}."})
        if len(raw.lstrip("0")) > len(str(self.max_page_size)):
            return self.max_page_size
        return min(int(raw), self.max_page_size)

    def get_paginated_response(self, data):
        return Response(
            {
                "success": True,
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )
