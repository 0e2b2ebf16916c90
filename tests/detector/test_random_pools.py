"""simulate()'s reserved random pools (``_reserve``): the numbers and the stream position of drawing the pool whole."""

from __future__ import annotations

import numpy as np
import pytest

from susyscan.detector.simulate import _SKIP_BLOCK, _reserve


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.MT19937])
@pytest.mark.parametrize("normal", [False, True])
def test_reserved_pool_equals_drawn_pool(bit_generator: type[np.random.BitGenerator], normal: bool) -> None:
    size = 2 * _SKIP_BLOCK + 17  # several skip blocks and a partial one
    whole = np.random.Generator(bit_generator(7))
    draw = whole.standard_normal if normal else whole.random
    pool, after = draw(size), whole.random(5)
    rng = np.random.Generator(bit_generator(7))
    reserved = _reserve(rng, size, normal)
    prefix = reserved.standard_normal(1000) if normal else reserved.random(1000)
    assert prefix.tobytes() == pool[:1000].tobytes()
    assert rng.random(5).tobytes() == after.tobytes()  # the stream goes on where the whole pool left it


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.PCG64DXSM, np.random.Philox])
@pytest.mark.parametrize("size", [0, 3, _SKIP_BLOCK + 1])
def test_reserve_keeps_a_buffered_32_bit_output(bit_generator: type[np.random.BitGenerator], size: int) -> None:
    """A half-used 64-bit output (left by a 32-bit draw before the pool) survives, as when the pool is drawn whole:
    PCG64's advance() would discard it, so that case draws instead."""
    whole = np.random.Generator(bit_generator(11))
    whole.integers(0, 10, dtype=np.uint32)
    whole.random(size)
    rng = np.random.Generator(bit_generator(11))
    rng.integers(0, 10, dtype=np.uint32)
    _reserve(rng, size, normal=False)
    def next_draws(generator: np.random.Generator) -> bytes:  # the buffered half first, then whole outputs
        return generator.integers(0, 1 << 30, 3, dtype=np.uint32).tobytes() + generator.random(3).tobytes()

    assert next_draws(rng) == next_draws(whole)
