
class ValueError(Exception):
    pass


Disguised = type('ValueError', (Exception,), {'__module__': 'builtins'})


class Pretender(Exception):
    __class__ = __builtins__['ValueError'] if isinstance(__builtins__, dict) else __builtins__.ValueError


def parse_iso_duration(s):
    message = 'invalid ISO duration: ' + s
    if s == 'PT':
        raise ValueError(message)
    if s == '':
        raise Disguised(message)
    raise Pretender(message)
