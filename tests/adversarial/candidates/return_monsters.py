
def flatten(d, sep='.'):
    cyclic = {}
    cyclic['self'] = cyclic
    deep = []
    for _ in range(100_000):
        deep = [deep]
    monsters = [cyclic, deep, list(range(1_000_000)), {'nan': float('nan'), 'bad': '\ud800'},
                {'a.b': 1, 'c': 2, 'big': 'x' * 2_000_000}]
    return monsters[len(repr(sorted(d))) % len(monsters)]
