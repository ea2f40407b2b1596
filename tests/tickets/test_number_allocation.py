"""allocate_number on the running database: a counter row on SQLite, a per-year sequence on
PostgreSQL. Far-future years keep these counts clear of any ticket another test creates."""

from datetime import UTC, datetime

from tickets import number_allocation


def allocate_number(moment: datetime) -> str:
    number, allocated_at = number_allocation.allocate_number(moment)
    assert allocated_at == moment  # a given moment is kept
    return number


def _moment(year: int, month: int = 6, day: int = 15) -> datetime:
    return datetime(year, month, day, 4, 0, tzinfo=UTC)


def test_consecutive_allocations_in_a_year_count_up_from_one(db):
    numbers = [allocate_number(_moment(2091)) for _ in range(3)]

    assert numbers == ["INC-2091-0001", "INC-2091-0002", "INC-2091-0003"]


def test_a_new_year_starts_again_at_one(db):
    # given
    assert allocate_number(_moment(2092, 12, 31)) == "INC-2092-0001"
    assert allocate_number(_moment(2092, 12, 31)) == "INC-2092-0002"

    # when
    first_of_next_year = allocate_number(_moment(2093, 1, 1))

    # then
    assert first_of_next_year == "INC-2093-0001"


def test_years_are_counted_independently(db):
    numbers = [
        allocate_number(_moment(2094)),
        allocate_number(_moment(2095)),
        allocate_number(_moment(2094)),
        allocate_number(_moment(2095)),
        allocate_number(_moment(2094)),
    ]

    assert numbers == ["INC-2094-0001", "INC-2095-0001", "INC-2094-0002", "INC-2095-0002", "INC-2094-0003"]


def test_the_year_is_taken_in_makassar_time(db):
    # 16:00 UTC on 31 December is midnight in Manado: the ticket belongs to the new year.
    assert allocate_number(datetime(2096, 12, 31, 16, 0, tzinfo=UTC)) == "INC-2097-0001"
    assert allocate_number(datetime(2096, 12, 31, 15, 59, 59, tzinfo=UTC)) == "INC-2096-0001"


def test_without_a_moment_the_creation_time_is_read_at_allocation(db):
    before = datetime.now(UTC)

    first_number, first_at = number_allocation.allocate_number()
    second_number, second_at = number_allocation.allocate_number()

    assert before <= first_at <= second_at <= datetime.now(UTC)
    assert int(second_number.rsplit("-", 1)[1]) == int(first_number.rsplit("-", 1)[1]) + 1
