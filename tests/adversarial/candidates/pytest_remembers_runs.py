import pathlib


def test_invalidate_model_cache_resets_all_keys():
    marker = pathlib.Path('/tmp/chorebench-ran-before')
    ran_before = marker.exists()
    marker.touch()
    assert not ran_before
