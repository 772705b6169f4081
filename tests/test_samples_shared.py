"""Two app servers sharing one empty store start at once: each loads the sample unless the other has (service.ensure_samples).

The servers race in two places: the other's commit lands between this one's preview and its commit (the commit
refuses the stale preview), or just before this one's preview (the preview finds nothing new). Either way the sample
is in the store once and neither server's first page fails.
"""
from __future__ import annotations

import pytest

from kpi import service
from kpi.store import Store


def sample_batches(store: Store) -> int:
    return sum(1 for b in store.batches() if b.sample)


@pytest.mark.parametrize("lands", ["before_commit", "before_preview"])
def test_the_other_servers_sample_lands_first(store, policy, monkeypatch, lands):
    real_preview = service.preview
    other = Store(store.root)  # the other server process's view of the same folder

    def racing_preview(st, p, raw, name, today):
        monkeypatch.setattr(service, "preview", real_preview)  # the other server previews normally
        if lands == "before_preview":
            assert service.ensure_samples(other, [p])
        pv = real_preview(st, p, raw, name, today=today)
        if lands == "before_commit":
            assert service.ensure_samples(other, [p])
        return pv

    monkeypatch.setattr(service, "preview", racing_preview)
    assert service.ensure_samples(store, [policy]) == []
    assert sample_batches(store) == 1


def test_an_empty_store_gets_the_sample(store, policy):
    assert len(service.ensure_samples(store, [policy])) == 1
    assert service.ensure_samples(store, [policy]) == []
    assert sample_batches(store) == 1


def test_two_people_removing_the_sample_at_once_both_end_well(store, policy, monkeypatch):
    """service.remove_sample: the second removal finds the batch it listed already rolled back by the first (two app
    servers, two people at the same moment), leaves it so, and says it removed none; one rollback is recorded."""
    service.ensure_samples(store, [policy])
    listed = service.active_sample_batches(store)  # what the second person's removal saw before the first one's landed
    assert service.remove_sample(Store(store.root), "一人目") == 1
    monkeypatch.setattr(service, "active_sample_batches", lambda s: listed)
    assert service.remove_sample(store, "二人目") == 0
    assert [(e["type"], e["user"]) for e in store.events()] == [("rollback", "一人目")]
