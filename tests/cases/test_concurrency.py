"""No lost updates: two writers of one case, exactly one wins (PostgreSQL row locks + version)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session

from povguard.cases import service
from povguard.cases.enums import Action, CaseState
from povguard.cases.schemas import TransitionIn
from povguard.core.errors import Conflict
from povguard.core.uow import unit_of_work
from tests.cases.factories import CADRE_A, TOWNSHIP_A_OFFICER, add_household
from tests.cases.helpers import DAY0, open_case


def _new_case(db: str) -> tuple[int, int]:
    with unit_of_work(db) as session:
        case = open_case(session, add_household(session).household_id)
        return case.id, case.version


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_concurrent_writers_one_wins(db: str) -> None:
    case_id, version = _new_case(db)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write(action: Action, comment: str) -> None:
        data = TransitionIn(action=action, version=version, comment=comment, on=DAY0)
        try:
            with unit_of_work(db) as session:
                service.get(session, CADRE_A, case_id, today=DAY0)  # both read version 1
                barrier.wait(timeout=10)
                service.transition(session, TOWNSHIP_A_OFFICER, case_id, data, today=DAY0)
            result = f"won:{action.value}"
        except Conflict as exc:
            result = f"conflict:{exc}"
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=write, args=(Action.ACCEPT, "")),
        threading.Thread(target=write, args=(Action.WITHDRAW, "duplicate")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [o for o in outcomes if o.startswith("won:")]
    losers = [o for o in outcomes if o.startswith("conflict:")]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert f"case {case_id} was changed by someone else (version 2, you had 1)" in losers[0]
    with unit_of_work(db) as session:
        case = service.get(session, CADRE_A, case_id, today=DAY0)
    expected = CaseState.HOME_VISIT if winners[0] == "won:accept" else CaseState.WITHDRAWN
    assert case.state is expected and case.version == 2 and len(case.steps) == 1


def test_sequential_stale_write_refused(session: Session) -> None:
    case = open_case(session, add_household(session).household_id)
    fresh = TransitionIn(action=Action.ACCEPT, version=case.version, on=DAY0)
    service.transition(session, CADRE_A, case.id, fresh, today=DAY0)
    with pytest.raises(Conflict, match="version 2, you had 1"):
        service.transition(session, CADRE_A, case.id, fresh, today=DAY0)
