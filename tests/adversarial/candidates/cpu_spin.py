def parse_iso_duration(s):
    while True:
        pass
