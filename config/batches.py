"""Walking a large queryset in primary-key batches, for set-based purges."""

from collections.abc import Iterator

from django.db import transaction
from django.db.models import QuerySet


def locked_id_batches(queryset: QuerySet, size: int) -> Iterator[list[int]]:
    """Yield the ids of `queryset` in batches of `size`, each batch locked FOR UPDATE in a
    transaction of its own that stays open while the caller works on it. Each batch
    starts after the last id of the one before (keyset), so a batch never scans again
    what earlier ones passed over."""
    last_pk = 0
    while True:
        with transaction.atomic():
            ids = list(
                queryset.filter(pk__gt=last_pk).order_by("pk").select_for_update().values_list("pk", flat=True)[:size]
            )
            if not ids:
                return
            last_pk = ids[-1]
            yield ids
