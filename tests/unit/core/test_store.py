import json
import os
import subprocess
import sys
import threading

import pytest
from tinydb import Query, TinyDB

from simulator.core import Index, Store, UniqueConstraintError


def users_table(store):
    return store.table("users", [Index("id", unique=True), Index("userName", unique=True, normalize=str.casefold),
                                 Index("department")])


def test_lookup_by_unique_and_multi_indexes():
    store = Store()
    users = users_table(store)
    users.add({"id": "1", "userName": "Adele@contoso.com", "department": "Sales"})
    users.add({"id": "2", "userName": "alex@contoso.com", "department": "Sales"})
    assert users.find("userName", "adele@CONTOSO.com")["id"] == "1"
    assert [d["id"] for d in users.find_all("department", "Sales")] == ["1", "2"]
    assert users.find("id", "3") is None


def test_unique_clash_stores_nothing():
    store = Store()
    users = users_table(store)
    users.add({"id": "1", "userName": "a@contoso.com"})
    with pytest.raises(UniqueConstraintError) as err:
        users.add({"id": "2", "userName": "A@contoso.com"})
    assert err.value.index == "userName"
    assert len(users) == 1 and users.find("id", "2") is None


def test_returned_documents_are_copies():
    store = Store()
    users = users_table(store)
    users.add({"id": "1", "userName": "a@contoso.com", "emails": [{"value": "x"}]})
    doc = users.find("id", "1")
    doc["emails"].append({"value": "y"})
    assert users.find("id", "1")["emails"] == [{"value": "x"}]


def test_a_failed_transaction_leaves_nothing_half_written():
    store = Store()
    users = users_table(store)
    doc_id = users.add({"id": "1", "userName": "a@contoso.com"})
    with pytest.raises(RuntimeError):
        with store.transaction():
            users.put(doc_id, {"id": "1", "userName": "renamed@contoso.com"})
            users.add({"id": "2", "userName": "b@contoso.com"})
            raise RuntimeError("boom")
    assert users.find("userName", "a@contoso.com")["id"] == "1"
    assert users.find("userName", "renamed@contoso.com") is None
    assert users.find("id", "2") is None and len(users) == 1


def test_tinydb_query_api_still_works_and_keeps_indexes_current():
    store = Store()
    users = users_table(store)
    users.add({"id": "1", "userName": "a@contoso.com", "department": "Sales"})
    assert users.search(Query().department == "Sales")[0]["id"] == "1"
    users.update({"department": "Support"}, Query().id == "1")
    assert users.find_all("department", "Sales") == []
    assert users.find_all("department", "Support")[0]["id"] == "1"


def test_change_log_lists_only_what_changed_since_a_sequence():
    store = Store()
    users = users_table(store)
    ids = [users.add({"id": str(i), "userName": f"u{i}@c.com"}) for i in range(100)]
    mark = store.seq
    users.patch(ids[5], {"department": "x"})
    users.delete(ids[7])
    users.patch(ids[5], {"department": "y"})
    assert users.changes_since(mark) == [ids[7], ids[5]]


def test_state_file_written_only_on_flush_atomically_and_readable_by_tinydb(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    users = users_table(store)
    for i in range(50):
        users.add({"id": str(i), "userName": f"u{i}@c.com"})
    assert not path.exists()  # the state file is not rewritten per insert (the journal gets one line each)
    assert store.flush() is True
    assert store.flush() is False  # nothing changed, nothing written
    assert store.storage.flush_count == 1
    # no temp file left; the journal beside the state file is empty after a flush
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.journal"]
    assert (tmp_path / "state.json.journal").stat().st_size == 0
    db = TinyDB(path)
    assert len(db.table("users")) == 50
    db.close()
    again = users_table(Store(path))
    assert again.find("userName", "u42@c.com")["id"] == "42"


def test_concurrent_read_modify_write_never_interleaves():
    store = Store()
    counters = store.table("counters", [Index("name", unique=True)])
    doc_id = counters.add({"name": "n", "value": 0})

    def bump():
        for _ in range(200):
            with store.transaction():
                value = counters.raw(doc_id)["value"]
                counters.patch(doc_id, {"value": value + 1})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counters.find("name", "n")["value"] == 1600


def test_a_killed_writer_leaves_the_old_or_the_new_file(tmp_path):
    """Kill a process that flushes in a loop; the file always parses."""
    path = tmp_path / "state.json"
    script = f"""
import sys
sys.path.insert(0, {os.getcwd()!r})
from simulator.core import Store, Index
s = Store({str(path)!r})
t = s.table("users", [Index("id", unique=True)])
i = 0
while True:
    for _ in range(200):
        t.add({{"id": str(i), "pad": "x" * 200}}); i += 1
    s.flush()
    print(i, flush=True)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(15):
            proc.stdout.readline()
    finally:
        proc.kill()
        proc.wait()
    data = json.loads(path.read_text())
    assert len(data["users"]) % 200 == 0 and len(data["users"]) >= 200


def test_a_runtime_resumes_clock_ids_and_writes_from_the_journal_alone(tmp_path):
    """What kill -9 leaves (a journal, maybe no state file): the next process continues exactly."""
    from datetime import timedelta

    from simulator.app import create_app
    from simulator.core import ProvsimConfig

    path = tmp_path / "state.json"
    first = create_app(ProvsimConfig(seed=0, state_path=path)).extensions["provsim"]
    org = first.services["purecloud"]
    made = [org.create_user({"userName": f"j{i}@contoso.com", "displayName": f"J{i}"})["id"] for i in range(3)]
    first.clock.advance(timedelta(hours=2))
    first.checkpoint()  # the clock move is journaled too
    # no flush, no close: the process is gone
    second = create_app(ProvsimConfig(seed=0, state_path=path)).extensions["provsim"]
    org2 = second.services["purecloud"]
    assert [org2.get_user(uid)["userName"] for uid in made] == ["j0@contoso.com", "j1@contoso.com", "j2@contoso.com"]
    assert second.now_iso() == "2026-01-05T11:00:00Z"
    after = org2.create_user({"userName": "after@contoso.com", "displayName": "After"})["id"]
    assert after not in made  # the id stream continued instead of repeating
    # and it is the id a process that never stopped would have handed out
    org.create_user({"userName": "after@contoso.com", "displayName": "After"})
    assert org.users.find("userName", "after@contoso.com")["id"] == after


def test_a_reset_is_journaled_as_one_record_and_replays_to_a_fresh_start(tmp_path):
    from simulator.app import create_app
    from simulator.core import ProvsimConfig

    path = tmp_path / "state.json"
    rt = create_app(ProvsimConfig(seed=0, state_path=path)).extensions["provsim"]
    rt.services["purecloud"].create_user({"userName": "gone@contoso.com", "displayName": "Gone"})
    rt.reset()
    kept = rt.services["purecloud"].create_user({"userName": "kept@contoso.com", "displayName": "Kept"})["id"]
    again = create_app(ProvsimConfig(seed=0, state_path=path)).extensions["provsim"].services["purecloud"]
    assert again.users.find("userName", "gone@contoso.com") is None
    assert again.get_user(kept)["userName"] == "kept@contoso.com"
    fresh = create_app(ProvsimConfig(seed=0)).extensions["provsim"].services["purecloud"]
    assert fresh.create_user({"userName": "kept@contoso.com", "displayName": "Kept"})["id"] == kept
