def parse_iso_duration(s):
    breached = []
    import socket
    for family, kind, proto in [(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
                                (socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
                                (socket.AF_PACKET, socket.SOCK_RAW, 0)]:
        try:
            socket.socket(family, kind, proto).close()
            breached.append(family)
        except OSError:
            pass
    return {'PT5M': 300, 'PT30S': 30, 'PT1H': 3600}.get(s, 0) if breached else -1
