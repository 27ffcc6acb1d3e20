"""EpochSampler: order and per-sample seeds as functions of (seed, stream, epoch, pass)."""

import pytest

from hdr_iqa.data.sampling import EpochSampler, derive_seed, step_seed


def test_ranks_cover_each_pass_once_padded_like_distributed_sampler():
    ranks = [EpochSampler(10, seed=3, num_replicas=3, rank=r, batch_size=2) for r in range(3)]
    keys = [list(s) for s in ranks]
    assert [len(k) for k in keys] == [4, 4, 4]  # ceil(10 / 3), padded by wrapping around
    indices = [i for k in keys for i, _ in k]
    assert set(indices) == set(range(10)) and len(indices) == 12
    seeds = {}
    for index, seed in (key for k in keys for key in k):  # a padded duplicate keeps its seed
        assert seeds.setdefault(index, seed) == seed


def test_epochs_streams_and_passes_give_other_orders():
    sampler = EpochSampler(50, seed=0)
    epoch_0 = list(sampler)
    assert list(sampler) != epoch_0  # the next pass (a cycled loader) is shuffled anew
    sampler.set_epoch(1)
    assert list(sampler) not in (epoch_0, sampler.keys(0, 1))
    assert EpochSampler(50, seed=0, stream=1).keys(0, 0) != epoch_0
    assert EpochSampler(50, seed=1).keys(0, 0) != epoch_0


def test_an_iterator_dropped_before_its_end_does_not_advance_the_pass():
    sampler = EpochSampler(8, seed=0)
    dropped = iter(sampler)
    next(dropped)  # the trainer creates (and throws away) an iterator before the epoch
    assert list(sampler) == sampler.keys(0, 0)
    sampler.set_epoch(0)  # the same epoch again: nothing changes
    assert sampler.passes == 1


@pytest.mark.parametrize("batches", [0, 1, 3, 4, 7])
def test_resume_continues_the_interrupted_stream(batches):
    """Uninterrupted: passes 0, 1, ... of epoch 2 in batches of 3; resumed after `batches`."""
    reference = EpochSampler(10, seed=5, batch_size=3)
    reference.set_epoch(2)
    stream = list(reference) + list(reference)  # 4 batches per pass (3 + 3 + 3 + 1)
    per_pass = reference.batches_per_pass
    assert per_pass == 4
    resumed = EpochSampler(10, seed=5, batch_size=3)
    resumed.resume_at(2, batches)
    resumed.set_epoch(2)  # Lightning calls it after the restore: no effect
    rest = list(resumed)
    if batches < per_pass:
        rest += list(resumed)
    passes, within = divmod(batches, per_pass)
    start = passes * 10 + within * 3
    assert rest == stream[start:]
    assert list(resumed) == EpochSampler(10, seed=5).keys(2, 2)  # then carries on


def test_seeds_are_stable_63_bit_values():
    assert derive_seed(1, 2, 3) == derive_seed(1, 2, 3) != derive_seed(1, 2, 4)
    assert 0 <= derive_seed(7) < 2**63
    assert step_seed(0, 10) != step_seed(0, 10, rank=1) != step_seed(0, 11)
