"""Two finance officers allocate at the same moment, each on their own database connection.

Each thread opens its transaction, runs the service, and holds its locks a moment before committing,
so that the other thread's service runs while the first transaction is still open. The result must
never be a double allocation: a receipt allocated beyond its amount or an invoice paid beyond what
was open.
"""

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from touchpoint.finance.models import Allocation, Invoice, Receipt
from touchpoint.finance.services.receipts import receipt_allocate, receipt_allocate_oldest_first, receipt_record
from touchpoint.finance.tests.builders import assert_money_is_consistent, fresh, pay, today
from touchpoint.finance.tests.conftest import issue

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL: two connections contending for row locks (SQLite runs one writer at a time)"),
]  # fmt: skip

HOLD_SECONDS = 0.3


def race(*actions: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run the actions at the same moment, each in a thread with its own connection and transaction.
    Returns ("ok", result), ("refused", ValidationError) or ("error", exception) per action."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[tuple[str, Any]] = [("error", None)] * len(actions)
    answered: list[float] = []  # when each service call returned
    ended: list[float] = []  # when each thread was done
    releasing: list[float] = []  # when each transaction that held its locks began to commit

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                try:
                    result = action()
                finally:
                    answered.append(time.monotonic())
                time.sleep(HOLD_SECONDS)  # hold the row locks while the other thread tries
                releasing.append(time.monotonic())  # the commit (and the locks' release) comes after this
            outcomes[index] = ("ok", result)
        except ValidationError as error:
            outcomes[index] = ("refused", error)
        except Exception as error:  # anything else is a failure, reported below
            outcomes[index] = ("error", error)
        finally:
            ended.append(time.monotonic())
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert not [error for kind, error in outcomes if kind == "error"], outcomes
    # The later call answered only once the earlier transaction had begun to commit: it waited for its
    # locks. (Its own "ended" stamp may come after the other thread woke, so it is not the mark.)
    assert max(answered) >= min(releasing or ended)
    return outcomes


def kinds(outcomes: list[tuple[str, Any]]) -> list[str]:
    return sorted(kind for kind, _value in outcomes)


@pytest.fixture
def two_open_invoices(personas, contract, due_milestone) -> tuple[Invoice, Invoice]:
    return (issue(due_milestone, personas.finance, "1000.00", due_days_ago=10),
            issue(due_milestone, personas.finance, "1000.00", due_days_ago=5))  # fmt: skip


def test_two_officers_allocating_the_same_receipt_never_allocate_it_twice(personas, two_open_invoices):
    first, second = two_open_invoices
    receipt = pay(personas.customer_a, personas.finance, "1000.00", allocate=False)

    outcomes = race(
        lambda: receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(first, "700.00")]),
        lambda: receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(second, "700.00")]),
    )

    assert kinds(outcomes) == ["ok", "refused"]
    [refusal] = [value for kind, value in outcomes if kind == "refused"]
    assert "300.00" in " ".join(refusal.message_dict["allocations"])
    receipt = fresh(receipt)
    assert receipt.allocated_amount == Decimal("700.00") and receipt.version == 2
    assert Allocation.objects.filter(receipt=receipt).count() == 1
    assert fresh(first).open_amount + fresh(second).open_amount == Decimal("1300.00")
    assert_money_is_consistent()


def test_two_allocations_that_fit_the_receipt_both_go_through(personas, two_open_invoices):
    first, second = two_open_invoices
    receipt = pay(personas.customer_a, personas.finance, "1000.00", allocate=False)

    outcomes = race(
        lambda: receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(first, "400.00")]),
        lambda: receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(second, "600.00")]),
    )

    assert kinds(outcomes) == ["ok", "ok"]
    receipt = fresh(receipt)
    assert receipt.allocated_amount == receipt.amount and receipt.version == 3
    assert (fresh(first).open_amount, fresh(second).open_amount) == (Decimal("600.00"), Decimal("400.00"))
    assert_money_is_consistent()


def test_two_receipts_paying_the_same_invoice_never_pay_it_beyond_its_open_amount(personas, two_open_invoices):
    invoice, _other = two_open_invoices
    one = pay(personas.customer_a, personas.finance, "700.00", allocate=False)
    two = pay(personas.customer_a, personas.finance, "700.00", allocate=False)

    outcomes = race(
        lambda: receipt_allocate(receipt=one, by=personas.finance, allocations=[(invoice, "700.00")]),
        lambda: receipt_allocate(receipt=two, by=personas.finance, allocations=[(invoice, "700.00")]),
    )

    assert kinds(outcomes) == ["ok", "refused"]
    invoice = fresh(invoice)
    assert invoice.open_amount == Decimal("300.00") and invoice.allocated_amount == Decimal("700.00")
    assert sorted([fresh(one).allocated_amount, fresh(two).allocated_amount]) == [Decimal("0"), Decimal("700.00")]
    assert Allocation.objects.filter(invoice=invoice).count() == 1
    assert_money_is_consistent()


def test_two_receipts_recorded_at_once_share_out_the_open_invoice_oldest_first(personas, two_open_invoices):
    first, second = two_open_invoices

    outcomes = race(
        lambda: receipt_record(customer=personas.customer_a, by=personas.finance, amount="1500.00", received_on=today()),
        lambda: receipt_record(customer=personas.customer_a, by=personas.finance, amount="800.00", received_on=today()),
    )

    assert kinds(outcomes) == ["ok", "ok"]
    assert (fresh(first).open_amount, fresh(second).open_amount) == (Decimal("0"), Decimal("0"))
    receipts = Receipt.objects.all()
    assert sum(r.allocated_amount for r in receipts) == Decimal("2000.00")
    assert sum(r.amount - r.allocated_amount for r in receipts) == Decimal("300.00")
    assert len({r.number for r in receipts}) == 2
    assert_money_is_consistent()


def test_the_same_receipt_allocated_oldest_first_twice_at_once_is_allocated_once(personas, two_open_invoices):
    first, second = two_open_invoices
    receipt = pay(personas.customer_a, personas.finance, "1500.00", allocate=False)

    outcomes = race(
        lambda: receipt_allocate_oldest_first(receipt=receipt, by=personas.finance),
        lambda: receipt_allocate_oldest_first(receipt=receipt, by=personas.finance),
    )

    assert kinds(outcomes) == ["ok", "ok"]
    assert sorted(len(made) for _kind, made in outcomes) == [0, 2]
    assert fresh(receipt).allocated_amount == Decimal("1500.00")
    assert (fresh(first).open_amount, fresh(second).open_amount) == (Decimal("0"), Decimal("500.00"))
    assert Allocation.objects.count() == 2
    assert_money_is_consistent()
