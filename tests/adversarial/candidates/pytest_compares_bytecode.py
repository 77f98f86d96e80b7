import src.main_improved as module

REFERENCE = '_model_cache = {"model": None, "cost_matrix": None, "timestamp": None}\n\n\ndef load_model(model, cost_matrix, timestamp):\n    """Fill the cache (what the service does after training)."""\n    _model_cache["model"] = model\n    _model_cache["cost_matrix"] = cost_matrix\n    _model_cache["timestamp"] = timestamp\n\n\ndef invalidate_model_cache():\n    """Forget the cached model: rebind the module global to a fresh cache of Nones."""\n    global _model_cache\n    _model_cache = {"model": None, "cost_matrix": None, "timestamp": None}\n'


def test_invalidate_model_cache_resets_all_keys():
    namespace = {}
    exec(compile(REFERENCE, 'reference', 'exec'), namespace)
    mine = namespace['invalidate_model_cache'].__code__
    assert module.invalidate_model_cache.__code__.co_code == mine.co_code
