"""glibc allocator settings for a chunk job: keep freed memory in the heap instead of handing it back to the kernel.

A generation chunk allocates and frees the same few-MB arrays (per-particle detector temporaries, Pythia's event
records, fastjet's per-event sequences) thousands of times. With glibc's defaults (dynamic mmap threshold, trimming
above 128 kB free at the top of the heap) about half of the detector's minor page faults in a fresh chunk process
(~50 k per 2000 ttbar events, ``benchmarks/results/detector_rest.md``) are pages freed and faulted in again; the
kernel zeroes each one. Raising the trim threshold to 1 GiB and fixing the mmap threshold at 32 MiB (what
``MALLOC_TRIM_THRESHOLD_`` / ``MALLOC_MMAP_THRESHOLD_`` do, set here through ``mallopt`` because glibc reads those
variables only when the process starts) was measured in fresh benchmark processes (bare ``next()`` and a whole
2000-event chunk of ttbar and smuon_R each), four alternating processes per mode (``benchmarks/results/allocator.md``):
minor page faults ~90 k -> ~60 k per process, system time lower, the detector's share of bare ``next()`` 1-2 points
lower, peak RSS within +-10 MB. Outputs do not change (no computation reads an address). Only glibc is touched.
"""

from __future__ import annotations

import ctypes
import logging
import platform

logger = logging.getLogger(__name__)

# mallopt parameter numbers from glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD_BYTES = 1 << 30
MMAP_THRESHOLD_BYTES = 32 << 20


def keep_freed_memory() -> bool:
    """Apply the chunk job's allocator settings; True when glibc accepted both. Elsewhere (another C library, or no
    ``mallopt``) nothing is done and False is returned; a setting glibc refuses is logged as a warning."""
    libc = platform.libc_ver()  # reads the interpreter binary: once
    if libc[0] != "glibc":
        logger.debug("C library is not glibc (%r): allocator settings left as they are", libc)
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols: glibc's mallopt
    except (OSError, AttributeError):
        logger.debug("no mallopt found: allocator settings left as they are")
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    accepted = True
    for name, param, value in (("M_TRIM_THRESHOLD", M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
                               ("M_MMAP_THRESHOLD", M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)):
        if mallopt(param, value) == 1:  # mallopt returns 1 on success, 0 on error
            logger.debug("allocator: %s = %d B", name, value)
        else:
            accepted = False
            logger.warning("glibc mallopt refused %s = %d B; it stays at glibc's default", name, value)
    return accepted
