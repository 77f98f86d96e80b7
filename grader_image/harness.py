"""chorebench's in-container harness: runs one candidate, reports observations, judges nothing.

Protocol. The container's main process is ``python3 -I harness.py``; in a pytest-kind
container (``CHOREBENCH_PRELOAD=pytest`` in its environment) it imports pytest and its plugins
while it waits for the job. It reads one line of JSON from stdin (the job), then writes JSON
lines to stdout (the report channel):

    {"kind": "hello", "python": "3.11.2"}
    {"kind": "case", "case": "<id>", "status": ..., ...}     one per case, in job order
    {"kind": "done"}

Job, function kind: ``{"mode": "function", "code": str, "entry_point": str, "timeout": float,
"cases": [{"id": str, "args": [literal, ...], "kwargs": {name: literal}}]}``. Arguments are
Python literal source text (plus ``float('inf')``, ``float('-inf')`` and ``float('nan')``).
Expected values are never sent: the host compares.

Suites add ``"batch": true``: the cases run in order in one child per group of consecutive
cases with the same ``group`` (a fresh child after a case that timed out or crashed), as
EvalPlus runs each group in one process. A case may carry its own ``timeout``: a limit on
the CPU time of the call (``run_chunk``); the job's ``group_timeout`` caps the CPU time of a
whole group's calls; ``wall_slack`` and ``report_allowance`` size the wall-clock backstops.
With ``stop_on_failure``, the first case that raises, times out or crashes ends its group
and every later case of the job is reported ``not_run``.

Returned values travel as exact-type tags (``encode``): ``["int", "1f"]``, ``["list", [...]]``,
and a container whose members are all of one type of int, float or str as ``["flat",
"list", "int", ["1f", ...]]``. A value too large to carry is reported by its SHA-256
(``["digest", kind, sha256, size]``): a str, bytes or int past its cap by the digest of its
bytes, a container past the node cap by its ``fingerprint``. The host compares digests
with expected ones.

Job, pytest kind: ``{"mode": "pytest", "timeout": float, "files": {relative path: source},
"compiled": [relative path, ...], "test_file": relative path}``: one pytest run of the test
file, reported as one case ``run``. Files named in ``compiled`` are laid out as bytecode only.

What this protects, and what it does not:
- Each case runs in its own forked child, in a new session, with stdin/stdout/stderr on
  /dev/null and only its own result pipe open, so it cannot write to the report channel
  through a file descriptor. The harness is the template every case is forked from: what
  all cases share (the io_uring filter, the compiled candidate, the standard-library
  modules it imports, the arguments) is paid once, in the harness, which never runs
  candidate code; each case (each batch child) executes the candidate's module afresh in its
  own process, so no case sees what an earlier one did, and each has its own time limit and
  its own pipe. The harness also makes itself non-dumpable when _ctypes is there, so
  children cannot reach its descriptors or memory through /proc under runc. gVisor
  still lets them open /proc/1/fd/1 and signal PID 1: a line they write makes the report
  inconsistent (it scores nothing), and a harness they kill leaves a report that the host
  does not count (records count only when the container exited 0 after ``done``).
- The harness installs a seccomp filter refusing io_uring before any job arrives
  (IO_URING_FILTER), so every case and all it starts inherit it: the engine's own default
  profile may still allow io_uring.
- A child reports its own observation, so a candidate controls its own record. That is fine:
  to forge a record that scores, it must know the right answer for that input, which is the
  behaviour being measured. The host accepts exactly one record per known case, in order.
- The harness is the container's PID 1, so no other process holds the report channel; under
  runc, signals from inside the container cannot kill it. After every case every other
  process in the container is killed and reaped, over and over until the harness has no
  child left (``sweep_processes``), so nothing a case started survives into the next one.
- The container itself is the security boundary; this harness is not. The host's wall clock
  is the authoritative timeout.
"""

import _json

# The C module: `signal` imports enum (with functools, collections...), 4 ms of CPU at every start.
import _signal as signal
import builtins
import gc
import os
import select
import sys
import time
import warnings

JOB_LIMIT = 8 * 1024 * 1024
RECORD_LIMIT = 1024 * 1024
CALLED = b'{"status": "called"}'  # a batch child's call returned a container; its record follows
MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_INT_BITS = 12_000  # the host's cap (runner.caps.VALUE_INT_BITS): larger ints travel as digests
MAX_STR = 1_000_000

# Captured before any candidate code exists, so a candidate that shadows or patches a built-in
# cannot change which classes count as the real ones.
REAL_EXCEPTIONS = {
    name: cls
    for name, cls in vars(builtins).items()
    if isinstance(cls, type) and issubclass(cls, BaseException)
}
_MRO = type.__dict__["__mro__"].__get__
_QUALNAME = type.__dict__["__qualname__"].__get__
_MODULE = type.__dict__["__module__"].__get__
_ARGS = BaseException.__dict__["args"].__get__


NON_FINITE = {"inf": float("inf"), "-inf": float("-inf"), "nan": float("nan")}


class _JsonOptions:
    """What ``_json``'s scanner reads its options from: ``json.loads``'s defaults."""

    strict = True
    object_hook = object_pairs_hook = None
    parse_float, parse_int = float, int
    parse_constant = {
        "NaN": NON_FINITE["nan"],
        "Infinity": NON_FINITE["inf"],
        "-Infinity": NON_FINITE["-inf"],
    }.get


# JSON through CPython's own C codec, the one ``json`` uses, without ``json`` itself: its
# import compiles regular expressions, 6 ms of every container's start (the image's Python
# is the one these are tested in).
_SCAN = _json.make_scanner(_JsonOptions())
_ENCODE = _json.make_encoder(
    None, None, _json.encode_basestring_ascii, None, ": ", ", ", False, False, True
)
_BLANK = " \t\n\r"


def json_loads(text):
    """``json.loads`` for one JSON document (str, or UTF-8 bytes); ValueError when it is not."""
    if type(text) is not str:
        text = bytes(text).decode("utf-8")
    text = text.strip(_BLANK)
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:
        raise ValueError("no JSON value") from None
    if end != len(text):
        raise ValueError("extra data after the JSON value")
    return value


def json_dumps(value):
    """``json.dumps(value, ensure_ascii=True)``: the same text, from the same C encoder."""
    return "".join(_ENCODE(value, 0))


def literal(source):
    """A Python literal, where ``float('inf')``, ``float('-inf')`` and ``float('nan')`` are too.

    The same reading as the host's ``runner.values.parse_literal`` (this file runs alone in
    the container, so it cannot import it), with its quick path for the common literals.
    """
    source = source.strip()
    quick = quick_literal(source)
    if quick is not SLOW:
        return quick
    import ast  # noqa: PLC0415 (7 ms of every container's start; most literals never need it)

    if "float(" not in source:
        return ast.literal_eval(source)
    tree = ast.parse(source, mode="eval")
    for node in ast.walk(tree):
        for name, child in ast.iter_fields(node):
            if isinstance(child, list):
                child[:] = [_non_finite(ast, item) for item in child]
            else:
                setattr(node, name, _non_finite(ast, child))
    return ast.literal_eval(tree.body)


SLOW = object()
_CONSTANTS = {"True": True, "False": False, "None": None}
_NUMERIC = frozenset("0123456789+-.eE[], ")


def quick_literal(source):
    """``runner.values.quick_literal``: a literal's value without the parser, or SLOW."""
    first = source[:1]
    if first in ("'", '"'):
        if (
            len(source) >= 2
            and source[-1] == first
            and source.count(first) == 2
            and "\\" not in source
            and source.isascii()
            and source.isprintable()
        ):
            return source[1:-1]
        return SLOW
    if source in _CONSTANTS:
        return _CONSTANTS[source]
    if source and _NUMERIC.issuperset(source):
        try:
            return json_loads(source)
        except (ValueError, RecursionError):
            return SLOW
    return SLOW


def _non_finite(ast, node):
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "float"
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in NON_FINITE
    ):
        return ast.Constant(NON_FINITE[node.args[0].value])
    return node


class TooLarge(Exception):
    """A value exceeded a size cap and cannot be carried out of the sandbox."""


def type_name(cls):
    """Qualified name of a class, read from the type's own slots (never candidate code)."""
    try:
        module, qualname = _MODULE(cls), _QUALNAME(cls)
    except Exception:
        return "<unnamed>"
    if type(module) is not str or type(qualname) is not str:
        return "<unnamed>"
    name = qualname if module == "builtins" else module + "." + qualname
    return name[:200]


def encode(value, depth=0, budget=None, path=None):
    """Tag a value by exact type, never calling a method the candidate could override."""
    budget = budget if budget is not None else [MAX_NODES]
    path = path if path is not None else set()
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise TooLarge("too many nodes or too deep")
    kind = type(value)
    if value is None:
        return ["none"]
    if kind is bool:
        return ["bool", value]
    if kind is int:
        if int.bit_length(value) > MAX_INT_BITS:
            return digest("int", int.__format__(value, "x").encode("ascii"))
        return ["int", int.__format__(value, "x")]
    if kind is float:
        return ["float", float.hex(value)]
    if kind is complex:
        return ["complex", float.hex(value.real), float.hex(value.imag)]
    if kind is str:
        if str.__len__(value) > MAX_STR:
            return digest("str", str.encode(value, "utf-8", "surrogatepass"))
        return ["str", value]
    if kind is bytes:
        if bytes.__len__(value) > MAX_STR:
            return digest("bytes", value)
        return ["bytes", bytes.hex(value)]
    tags = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset", dict: "dict"}
    subdict = kind not in tags and dict in _MRO(kind)  # Counter, OrderedDict, defaultdict
    if kind not in tags and not subdict:
        return ["unsupported", type_name(kind)]
    if id(value) in path:
        return ["unsupported", "cycle"]
    # Past the node cap by its own size: said at once, not after walking the cap's worth.
    if (dict if subdict else kind).__len__(value) > budget[0]:
        raise TooLarge("too many nodes or too deep")
    if subdict:
        path.add(id(value))
        items = [
            [encode(k, depth + 1, budget, path), encode(v, depth + 1, budget, path)]
            for k, v in dict.items(value)
        ]
        path.discard(id(value))
        return ["subdict", type_name(kind), items]
    if kind is not dict:
        members = list(kind.__iter__(value))  # iterated once, whichever form it travels in
        flat = _flat(members)
        if flat is not None:
            atom, texts = flat
            budget[0] -= len(texts)  # a node per member, as a tag per member would cost
            if budget[0] < 0:
                raise TooLarge("too many nodes or too deep")
            return ["flat", tags[kind], atom, texts]
    path.add(id(value))
    if kind is dict:
        items = [
            [encode(k, depth + 1, budget, path), encode(v, depth + 1, budget, path)]
            for k, v in dict.items(value)
        ]
    else:
        items = [encode(item, depth + 1, budget, path) for item in members]
    path.discard(id(value))
    return [tags[kind], items]


_FLAT_TAGS = {int: "int", float: "float", str: "str"}


def _flat(members):
    """The members of a list, tuple, set or frozenset, when all are of one exact type of int,
    float or str and none is past its cap, as (type, texts): the form most returned
    containers take, carried without a tag per member (``["flat", "list", "int", ["1f",
    ...]]``); None for any other members."""
    atom = type(members[0]) if members else None
    if atom not in _FLAT_TAGS or not all(type(member) is atom for member in members):
        return None
    if atom is int:
        if max(map(int.bit_length, members)) > MAX_INT_BITS:
            return None
        return "int", [int.__format__(member, "x") for member in members]
    if atom is float:
        return "float", [float.hex(member) for member in members]
    if max(map(str.__len__, members)) > MAX_STR:
        return None
    return "str", members


def encode_value(value):
    """``encode``, or, for a value past the node cap, its fingerprint (``digest`` of kind value)."""
    try:
        return encode(value)
    except TooLarge as exc:
        if "nodes" not in str(exc):
            raise

    budget = [FINGERPRINT_BUDGET, 0]  # [work left, nodes seen]
    digest_ = fingerprint(value, 0, budget)
    return ["digest", "value", digest_.hex(), budget[1]]


# The work a fingerprint may take, in atoms hashed in bulk (about 50 ns each); an atom or
# container hashed on its own costs SLOW_NODE units (about a microsecond each). The budget
# bounds the work of a shared structure (a list holding one list a thousand times, nested)
# that memory alone would not: 400M units is 10 to 20 s of CPU here. The largest expected
# value of the suites, Mbpp/255's 1.7M tuples of 77 strings, takes 170M units (9 s).
FINGERPRINT_BUDGET = 400_000_000
SLOW_NODE = 25
# Exact types that ``marshal`` (version 0: no references, no interning) writes by value alone,
# each as a self-delimiting record; a subclass of any of them is refused by marshal.
_ATOMS = frozenset((type(None), bool, int, float, complex, str, bytes))
_TAGS = {list: b"L", tuple: b"T", set: b"S", frozenset: b"F", dict: b"D"}


def fingerprint(value, depth, budget):
    """SHA-256 of a value's exact type and content: equal values (same types) hash equal.

    The value is written as one unambiguous stream: an atom as ``a`` and its marshal record; a
    list or tuple as its tag and length, then ``m`` and marshal's record of it when every item
    is an atom (the common large value: a list of numbers, of strings, of tuples of them), or
    ``e`` and each item in turn; a set or dict as its tag, its length and its members' (or
    items') own fingerprints, sorted, so iteration order does not count.
    """
    import hashlib  # noqa: PLC0415

    hasher = hashlib.sha256()
    _feed(hasher, value, depth, budget)
    return hasher.digest()


def _charge(budget, units, nodes=1):
    budget[0] -= units
    budget[1] += nodes
    if budget[0] < 0:
        raise TooLarge("too many nodes to fingerprint")


def _marshalled(value):
    import marshal  # noqa: PLC0415

    try:
        return marshal.dumps(value, 0)
    except (ValueError, OverflowError) as exc:  # a str or bytes past marshal's 2 GiB
        raise TooLarge("too large to fingerprint") from exc


def _feed(hasher, value, depth, budget):
    if depth > MAX_DEPTH:
        raise TooLarge("too many nodes or too deep")
    kind = type(value)
    if kind in _ATOMS:
        _charge(budget, SLOW_NODE)
        hasher.update(b"a" + _marshalled(value))
        return
    if kind not in _TAGS:
        raise TooLarge("unsupported " + type_name(kind))
    size = kind.__len__(value)
    hasher.update(_TAGS[kind] + size.to_bytes(8, "little"))
    if kind in (list, tuple):
        # set() and map(type) run in C, and type() cannot be overridden: a bulk check.
        if set(map(type, kind.__iter__(value))) <= _ATOMS:
            _charge(budget, SLOW_NODE + size, 1 + size)
            hasher.update(b"m" + _marshalled(value))
        else:
            _charge(budget, SLOW_NODE)
            hasher.update(b"e")
            for item in kind.__iter__(value):
                _feed(hasher, item, depth + 1, budget)
        return
    _charge(budget, SLOW_NODE)
    if kind is dict:
        parts = [
            fingerprint(k, depth + 1, budget) + fingerprint(v, depth + 1, budget)
            for k, v in dict.items(value)
        ]
    else:
        parts = [fingerprint(item, depth + 1, budget) for item in kind.__iter__(value)]
    hasher.update(b"".join(sorted(parts)))


def digest(kind, data):
    """A scalar too large to carry, as its SHA-256 (the host compares it with the expected's)."""
    import hashlib  # noqa: PLC0415

    return ["digest", kind, hashlib.sha256(data).hexdigest(), len(data)]


def observe_exception(exc):
    """Class, real built-in bases and (when it is a plain str argument) message of an exception."""
    cls = type(exc)
    mro = _MRO(cls)
    bases = [name for name, real in REAL_EXCEPTIONS.items() if real in mro]
    args = _ARGS(exc)
    message = None
    if len(args) == 0:
        message = ""
    elif len(args) == 1 and type(args[0]) is str:
        message = args[0][:4000]
    return {"exc_type": type_name(cls), "exc_builtins": bases, "exc_message": message}


class Prepared:
    """What every case of a job shares, made once in the harness before any case runs.

    Only harness code runs here: /dev/null is opened, the candidate of a function job is
    parsed and compiled (compiling runs none of its code) and the standard-library modules
    it names from ``PRELOAD`` are imported. Each case's process inherits all of it and
    executes the candidate's module itself, from scratch: no candidate code ever runs in a
    process that outlives its case.
    """

    def __init__(self, job):
        self.null = os.open(os.devnull, os.O_RDWR)
        # No descriptor can be at or above the soft limit, which nothing here ever lowers.
        self.max_fd = os.sysconf("SC_OPEN_MAX")
        self.code = None
        self.compile_error = None
        self.arguments = {}  # per case (by identity): (args, kwargs); absent when unread
        if job["mode"] == "pytest":
            return
        try:
            with warnings.catch_warnings():  # a case's own compile would print to /dev/null
                warnings.simplefilter("ignore")
                self.code = compile(job["code"], "candidate.py", "exec")
        except BaseException as exc:
            self.compile_error = type_name(type(exc))
            return
        names = imported_modules(self.code)
        for name in names:
            try:
                __import__(name)
            except BaseException:
                pass  # the case's own import will meet it, and say so
        if "re" in names:
            precompile_patterns(self.code, sys.modules.get("re"))
        # Every case's arguments, read before the first fork: a page the harness writes
        # between forks is a copy-on-write fault, in the harness and in the case.
        for case in job.get("cases") or []:
            try:
                self.arguments[id(case)] = read_arguments(case)
            except BaseException:
                pass  # the case's process reads them again, and reports the failure as its own

    def arguments_of(self, case):
        """A case's (args, kwargs) as read before the fork; None to read them in the case."""
        return self.arguments.get(id(case))


# Standard-library modules whose import runs nothing but their own set-up: imported once in
# the harness when the candidate names them, instead of once per case.
PRELOAD = frozenset(
    {
        "array", "bisect", "calendar", "cmath", "collections", "copy", "dataclasses", "datetime",
        "decimal", "enum", "fractions", "functools", "hashlib", "heapq", "itertools", "math",
        "numbers", "operator", "random", "re", "signal", "statistics", "string", "struct",
        "textwrap", "typing", "unicodedata",
    }
)  # fmt: skip


# At most this many of a candidate's string constants, of at most this length, compiled ahead
# as regular expressions, for at most this long: a bound on the harness's own work.
PATTERN_COUNT, PATTERN_LENGTH, PATTERN_BUDGET_S = 64, 512, 0.02


def precompile_patterns(code, re):
    """Fill the ``re`` module's cache with the candidate's string constants, compiled.

    A parser compiles its patterns at module level or in every call, and each case's process
    starts from the harness's memory with an empty cache: every case compiled them again
    (0.6 ms a case for the ``iso_duration`` reference, a quarter of its cost). ``re.compile``
    of a constant is a pure function of the text (with flags 0, the key a call with no flags
    looks up), run by harness code before any case: a case finds the same compiled pattern a
    fresh process would make. A constant that is not a pattern costs one failed compile; one
    with a line break is skipped (a docstring, 1-3 ms to compile as a pattern; a pattern laid
    out over lines is compiled with ``re.VERBOSE``, another cache key).
    """
    if re is None:
        return
    deadline = time.monotonic() + PATTERN_BUDGET_S
    texts = [
        const
        for unit in code_units(code)
        for const in unit.co_consts
        if type(const) is str and 0 < len(const) <= PATTERN_LENGTH and "\n" not in const
    ]
    with warnings.catch_warnings():
        # A pattern that warns stays out of the cache (a warning raised is not cached), so a
        # case still meets its warning, e.g. one the candidate turned into an error.
        warnings.simplefilter("error")
        for text in texts[:PATTERN_COUNT]:
            if time.monotonic() > deadline:
                return
            try:
                re.compile(text)
            except Exception:  # not a pattern, or one that warns: the case meets it itself
                pass


def read_arguments(case):
    """A function case's (args, kwargs), from their literal source text."""
    args = [literal(a) for a in case["args"]]
    kwargs = {k: literal(v) for k, v in case["kwargs"].items()}
    return args, kwargs


def imported_modules(code):
    """Dotted names of the ``PRELOAD`` modules (and their submodules) the code may import.

    Read from the names the compiled code uses (every import's module name is one), nested
    functions and classes included: a name that is not an import only preloads a module that
    runs nothing but its own set-up, and parsing the code a second time for its imports
    would cost more than the compile.
    """
    names = {name for unit in code_units(code) for name in unit.co_names}
    return sorted(name for name in names if name.split(".")[0] in PRELOAD)


def code_units(code):
    """The code object and every one nested in it (functions, classes, comprehensions)."""
    stack = [code]
    while stack:
        unit = stack.pop()
        yield unit
        stack += [const for const in unit.co_consts if type(const) is type(code)]


def load_candidate(prepared, job):
    """Child side: run the candidate's module (compiled by the harness); its entry point, or an
    observation."""
    if prepared.code is None:
        return None, {"status": "compile_error", "detail": prepared.compile_error}
    namespace = {"__name__": "candidate", "__builtins__": builtins}
    started = time.perf_counter()
    try:
        exec(prepared.code, namespace)
        func = namespace.get(job["entry_point"])
    except BaseException as exc:
        elapsed = time.perf_counter() - started
        return None, dict(status="raised", elapsed_s=elapsed, **observe_exception(exc))
    if not callable(func):
        return None, {"status": "no_entry", "detail": "entry point not defined"}
    return func, None


def invoke(func, case, arguments=None):
    """Child side: call the entry point on one case's arguments.

    ``arguments`` are the case's (args, kwargs) as the harness read them before the fork;
    None when that failed there (or was not done), so that it happens here, as the case's own.
    Returns the observation (``returned`` without its value yet, or ``raised``), with the
    call's wall time ``elapsed_s`` and CPU time ``cpu_s``, and the result.
    """
    started = cpu = 0.0
    try:
        if arguments is None:
            started, cpu = time.perf_counter(), time.process_time()
            arguments = read_arguments(case)
        args, kwargs = arguments
        started, cpu = time.perf_counter(), time.process_time()
        result = func(*args, **kwargs)
    except BaseException as exc:
        timing = {"elapsed_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu}
        return dict(status="raised", **timing, **observe_exception(exc)), None
    timing = {"elapsed_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu}
    return dict(status="returned", **timing), result


def with_value(observation, result):
    """A ``returned`` observation with its encoded value."""
    try:
        return dict(observation, value=encode_value(result))
    except TooLarge as exc:
        return dict(observation, value=["too_large", str(exc)])
    except RecursionError:
        return dict(observation, value=["too_large", "too deep"])


def call_case(func, case, arguments=None):
    """Child side: call the entry point on one case's arguments; the observation."""
    observation, result = invoke(func, case, arguments)
    return with_value(observation, result) if observation["status"] == "returned" else observation


def run_function_case(prepared, job, case, arguments):
    """Child side: run one case and return its observation (a JSON-able dict)."""
    func, failed = load_candidate(prepared, job)
    return failed if func is None else call_case(func, case, arguments)


def write_bytecode(path, relative, source):
    """Lay out a module as bytecode only: ``<path>c``, a sourceless .pyc with a blank header.

    Python imports a ``.pyc`` that sits where its ``.py`` would be. There is no source text
    to read or hash, and the header (no timestamp, no size) says nothing about it.
    """
    import importlib.util  # noqa: PLC0415
    import marshal  # noqa: PLC0415

    code = compile(source, relative, "exec", dont_inherit=True)
    with open(path + "c", "wb") as handle:
        handle.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))


PYTEST_FLAGS = ["-q", "-p", "no:cacheprovider", "--noconftest"]
PYTEST_FLAGS += ["-o", "console_output_style=classic"]


def import_pytest():
    """pytest, imported with the same settings wherever it is first imported."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the image has no plugins: skip the scan
    import pytest  # noqa: PLC0415

    return pytest


class Counter:
    """The grader's pytest plugin: counts outcomes per test and what was collected."""

    def __init__(self):
        self.counts = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            self.counts[report.outcome] = self.counts.get(report.outcome, 0) + 1

    def pytest_collection_finish(self, session):
        self.counts["collected"] = len(session.items)


def preload_pytest():
    """Harness side, before any job: import pytest and every module a run of it imports.

    A pytest-kind container does this while it waits in the warm pool, so a candidate's run
    pays only for collecting and running its own tests. Only modules are imported (pytest's
    default plugins and what a run imports lazily): nothing runs, nothing is written.
    """
    import importlib  # noqa: PLC0415

    import_pytest()
    from _pytest.config import default_plugins  # noqa: PLC0415

    for name in [*(f"_pytest.{plugin}" for plugin in default_plugins), *PYTEST_LAZY]:
        try:
            importlib.import_module(name)
        except Exception:
            pass  # the run imports it again and meets the problem itself


# Imported by a pytest run only once it starts (measured on pytest 7.2).
PYTEST_LAZY = ("_pytest._argcomplete", "_pytest.config.compat", "pdb", "faulthandler")


def run_pytest(prepared, job, case, arguments):
    """Child side: write the files under /tmp/work, run pytest there, report its outcome."""
    root = "/tmp/work"
    compiled = job.get("compiled") or []
    for relative, source in job["files"].items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if relative in compiled:
            write_bytecode(path, relative, source)
            continue
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source)
    os.chdir(root)
    sys.path.insert(0, root)
    pytest = import_pytest()  # preloaded in a pytest-kind container: then this is free
    counter = Counter()
    code = pytest.main([*PYTEST_FLAGS, job["test_file"]], plugins=[counter])
    return {"status": "pytest", "exit_code": int(code), "counts": counter.counts}


# A seccomp filter (classic BPF) that refuses io_uring_setup, io_uring_enter and
# io_uring_register (425-427 on every architecture; the x32 bit is masked off) with EPERM.
# Docker 20.10's default profile still allows io_uring, the kernel interface behind many
# recent privilege escalations (moby #46762 dropped it from the default profile in 2023).
_SECCOMP_ALLOW = 0x7FFF0000
_SECCOMP_EPERM = 0x00050000 | 1
IO_URING_FILTER = [
    (0x20, 0, 0, 0),  # A = seccomp_data.nr
    (0x54, 0, 0, 0xBFFFFFFF),  # A &= ~__X32_SYSCALL_BIT
    (0x15, 3, 0, 425),  # io_uring_setup: refuse
    (0x15, 2, 0, 426),  # io_uring_enter: refuse
    (0x15, 1, 0, 427),  # io_uring_register: refuse
    (0x06, 0, 0, _SECCOMP_ALLOW),
    (0x06, 0, 0, _SECCOMP_EPERM),
]


def libc_prctl():
    """prctl(2) from the C library, through ``_ctypes`` alone; None when it cannot be had.

    ``_ctypes`` is the C half of ctypes: ctypes itself (its classes, ``struct``, ``_endian``)
    costs 1.5 ms of CPU to import, in every container, for the two calls made here.
    """
    try:
        import _ctypes  # noqa: PLC0415

        class Int(_ctypes._SimpleCData):
            _type_ = "i"

        class Function(_ctypes.CFuncPtr):
            _flags_ = _ctypes.FUNCFLAG_CDECL
            _restype_ = Int

        class Libc:
            _handle = _ctypes.dlopen(None, _ctypes.RTLD_LOCAL)

        return Function(("prctl", Libc))
    except Exception:
        return None


def refuse_io_uring(prctl):
    """Harness side, before any job: install IO_URING_FILTER; True when it holds.

    Inherited by every case's process and everything a candidate starts; never removable.
    Needs ``prctl`` (``libc_prctl``); under gVisor the Sentry enforces it too.
    """
    try:
        import _ctypes  # noqa: PLC0415

        def simple(code):
            return type("c_" + code, (_ctypes._SimpleCData,), {"_type_": code})

        ushort, ubyte, uint = simple("H"), simple("B"), simple("I")

        class SockFilter(_ctypes.Structure):
            _fields_ = [("code", ushort), ("jt", ubyte), ("jf", ubyte), ("k", uint)]

        class SockFprog(_ctypes.Structure):
            _fields_ = [("len", ushort), ("filter", _ctypes.POINTER(SockFilter))]

        class Program(_ctypes.Array):
            _type_, _length_ = SockFilter, len(IO_URING_FILTER)

        program = Program(*[SockFilter(*i) for i in IO_URING_FILTER])
        fprog = SockFprog(len(IO_URING_FILTER), program)
        prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS (Docker sets it already)
        return prctl(22, 2, _ctypes.byref(fprog), 0, 0) == 0  # PR_SET_SECCOMP, FILTER
    except Exception:
        return False


def isolate(prepared, write_fd):
    """Child side, first thing: a session of its own, no stdio, only the result pipe open.

    What every case needs and can share (the io_uring filter, SIGPIPE's default
    action, /dev/null) was set up once by the harness and is inherited.
    """
    os.setsid()
    for fd in (0, 1, 2):
        os.dup2(prepared.null, fd)
    os.closerange(3, write_fd)
    os.closerange(write_fd + 1, prepared.max_fd)


def write_record(write_fd, observation):
    try:
        # The encoder as the case's process has it: a candidate that patches it forges its own
        # record, and the host must (and is tested to) read such a record safely.
        line = json_dumps(observation) + "\n"
    except BaseException as exc:
        line = json_dumps({"status": "error", "detail": type_name(type(exc))}) + "\n"
    _write_all(write_fd, line.encode("ascii"))


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data) :]


def child_main(prepared, job, case, arguments, write_fd):
    """Run in the forked child: isolate from the report channel, observe, write, exit."""
    isolate(prepared, write_fd)
    runner = run_pytest if job["mode"] == "pytest" else run_function_case
    try:
        observation = runner(prepared, job, case, arguments)
    except BaseException as exc:
        observation = {"status": "error", "detail": type_name(type(exc))}
    write_record(write_fd, observation)
    os._exit(0)


def batch_child_main(prepared, job, cases, write_fd):
    """Batch child: load the candidate once (a ``ready`` line), then one record per case."""
    isolate(prepared, write_fd)
    func, failed = load_candidate(prepared, job)
    write_record(write_fd, failed or {"status": "ready"})
    if func is not None:
        for case in cases:
            limit = float(case.get("timeout") or job["timeout"])
            try:
                observation, result = invoke(func, case, prepared.arguments_of(case))
                if observation["cpu_s"] > limit:
                    detail = "used %.2f s of CPU, over its %g s" % (observation["cpu_s"], limit)
                    observation = dict(observation, status="timeout", detail=detail)
                elif observation["status"] == "returned":
                    if type(result) not in _ATOMS:  # an atom's encoding costs next to nothing
                        _write_all(write_fd, CALLED + b"\n")  # encoding is not timed
                    observation = with_value(observation, result)
            except BaseException as exc:
                observation = {"status": "error", "detail": type_name(type(exc))}
            write_record(write_fd, observation)
    os._exit(0)


class LineReader:
    """Parent side: whole lines from a child's result pipe, each under a deadline.

    Each byte is copied and searched once, however many lines a read brings or however many
    reads a line takes (a child can write thousands of records before the parent looks).
    """

    def __init__(self, fd):
        self.fd, self.buffer, self.eof = fd, bytearray(), False
        self.start = self.scanned = 0  # where the next line begins; how far it was searched

    def line(self, deadline, over_cpu=lambda: False):
        """The next line, or None with why: ``timeout``, ``eof`` or ``too_large``.

        ``over_cpu`` is asked every CPU_POLL_S: True ends the wait as a timeout.
        """
        while True:
            end = self.buffer.find(b"\n", self.scanned)
            if end >= 0:
                break
            self.scanned = len(self.buffer)
            if self.scanned - self.start > RECORD_LIMIT:
                return None, "too_large"
            left = deadline - time.monotonic()
            if self.eof or left <= 0 or over_cpu():
                return None, "eof" if self.eof else "timeout"
            ready, _, _ = select.select([self.fd], [], [], min(left, CPU_POLL_S))
            if ready:
                chunk = os.read(self.fd, 65536)
                del self.buffer[: self.start]
                self.scanned -= self.start
                self.start = 0
                self.buffer += chunk
                self.eof = not chunk
        line = bytes(self.buffer[self.start : end])
        self.start = self.scanned = end + 1
        return line, None


def parse_record(line):
    try:
        record = json_loads(line)
    except (ValueError, RecursionError):
        return {"status": "protocol_error", "detail": "unparsable record"}
    if type(record) is not dict:
        return {"status": "protocol_error", "detail": "record is not an object"}
    return record


def lost(why, wall, where):
    if why == "timeout":
        return {"status": "timeout", "wall_s": wall, "detail": where}
    if why == "too_large":
        return {"status": "protocol_error", "detail": "record too large", "wall_s": wall}
    return {"status": "crashed", "detail": "died without a report " + where, "wall_s": wall}


class CpuClock:
    """CPU time (user + system) a child has used, from its /proc stat file, opened once: a
    batch child is asked before every case. 0 when it cannot be read."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid):
        try:
            self.fd = os.open("/proc/%d/stat" % pid, os.O_RDONLY)
        except OSError:
            self.fd = None

    def seconds(self):
        try:
            fields = os.pread(self.fd, 4096, 0).rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self.TICK
        except (OSError, TypeError, ValueError, IndexError):
            return 0.0

    def close(self):
        if self.fd is not None:
            os.close(self.fd)


class CpuWatch:
    """The parent's watch on one batch case's call: over its limit (plus CPU_MARGIN_S) by the
    child's CPU time. The clock is first read when the parent first waits for the case: a
    record already in the pipe needs no watch, and the first wait comes as the case begins."""

    def __init__(self, clock, limit):
        self.clock, self.limit, self.mark = clock, limit, None

    def over(self):
        now = self.clock.seconds()
        if self.mark is None:
            self.mark = now
        return now - self.mark > self.limit + CPU_MARGIN_S

    def spent(self):
        """CPU time the child used since the watch began; 0 when it never began."""
        return 0.0 if self.mark is None else self.clock.seconds() - self.mark


class Group:
    """One group's time budget in batch mode: CPU spent on calls against the cap, and the
    wall-clock backstop (``wall_slack`` times the cap, plus the allowance)."""

    def __init__(self, job):
        self.cap = float(job["group_timeout"]) if job.get("group_timeout") else None
        self.slack = float(job.get("wall_slack") or 1)
        self.allowance = float(job.get("report_allowance") or 0)
        self.cpu = 0.0
        wall = self.slack * self.cap + self.allowance if self.cap else float("inf")
        self.wall_deadline = time.monotonic() + wall

    def exceeded(self):
        return (self.cap is not None and self.cpu > self.cap) or (
            time.monotonic() >= self.wall_deadline
        )


def run_chunk(prepared, job, cases, group):
    """Parent side: one child runs ``cases`` in order, each under its own time limit.

    A case's limit is on the CPU time of its call, as measured by the child (it reports a
    slower call as a timeout), or watched here from /proc for a call that never returns; the
    wall clock only backs these up (``wall_slack`` times the limit, plus the allowance), so a
    loaded machine does not time out an honest candidate. Encoding a returned value is not
    timed but for the backstop. Returns records for a prefix of ``cases``: every case the
    child finished, then the one that timed out or crashed, if one did. A module that fails
    to load fails every case.
    """
    default = float(job["timeout"])
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = _fork(started + default)
    if pid == 0:
        os.close(read_fd)
        batch_child_main(prepared, job, cases, write_fd)
    os.close(write_fd)
    reader, clock = LineReader(read_fd), CpuClock(pid)
    records = []
    backstop = min(started + group.slack * default + group.allowance, group.wall_deadline)
    line, why = reader.line(backstop)
    mark = time.monotonic()
    ready = parse_record(line) if line is not None else lost(why, mark - started, "loading")
    if ready.get("status") != "ready":
        records = [dict(ready) for _ in cases]
    else:
        for case in cases:
            limit = float(case.get("timeout") or default)
            watch = CpuWatch(clock, limit)
            backstop = min(mark + group.slack * limit + group.allowance, group.wall_deadline)
            line, why = reader.line(backstop, watch.over)
            record = None if line is None or line == CALLED else parse_record(line)
            if line == CALLED or (record is not None and record.get("status") == "called"):
                line, why = reader.line(group.wall_deadline if group.cap else backstop + 60)
                record = None if line is None else parse_record(line)
            now = time.monotonic()
            if line is None:
                capped = why == "timeout" and now >= group.wall_deadline
                records.append(lost(why, now - mark, "(group time cap)" if capped else ""))
                group.cpu += watch.spent()
                break
            record = dict(record, wall_s=now - mark)
            records.append(record)
            group.cpu += _number(record.get("cpu_s"))
            mark = now
            if group.exceeded():
                break
    os.close(read_fd)
    clock.close()
    _kill_group(pid)
    _reap(pid, time.monotonic() + 0.5)
    sweep_processes()
    return records


def _number(value):
    return float(value) if type(value) in (int, float) else 0.0


CPU_POLL_S = 0.25  # how often the parent reads a running case's CPU time
CPU_MARGIN_S = 0.5  # the parent's watch kills a call this far past its limit (the child
# reports one that returns late itself, exactly)
FAILED = ("raised", "timeout", "crashed", "compile_error", "no_entry", "error", "protocol_error")


def run_batch(prepared, job, cases, emit):
    """Batch mode: each group in as few children as it takes; see the module docstring."""
    stop = bool(job.get("stop_on_failure"))
    stopped = False
    groups = []
    for case in cases:
        if groups and groups[-1][0].get("group") == case.get("group"):
            groups[-1].append(case)
        else:
            groups.append([case])
    for cases_of_group in groups:
        group = Group(job)
        pending = list(cases_of_group)
        while pending and not stopped:
            if group.exceeded():
                for case in pending:
                    emit(dict(status="timeout", detail="(group time cap)", case=case["id"]))
                pending = []
                break
            records = run_chunk(prepared, job, pending, group)
            for case, record in zip(pending, records, strict=False):
                emit(dict(record, case=case["id"]))
                stopped = stopped or (stop and record.get("status") in FAILED)
            pending = pending[len(records) :]
        for case in pending:
            emit({"status": "not_run", "case": case["id"]})


def sweep_processes():
    """Kill every process in the container but this harness, reap them, until none is left.

    The harness is the container's PID 1 (no separate init: an init process would hold the
    report channel on a descriptor that same-uid children could open through /proc), so
    orphans are re-parented to it and it must reap them. Whatever a case started hangs from a
    child of this harness, live or a zombie that only this harness can reap: when the harness
    has no child left at all (``waitpid`` says so, one system call: the usual case, and all
    it costs), no other process exists. Otherwise one pass over /proc is not enough: a process
    that forks and lets its parent exit keeps changing pid, and a killed process lingers as a
    zombie until reaped. So: kill everything (as PID 1, ``kill(-1)`` reaches every other
    process of the namespace at once; each listed pid too), reap, and look again, until no
    child is left or /proc lists only this harness.
    """
    me = os.getpid()
    while True:
        if _reap_all() is None:
            return
        try:
            others = [int(name) for name in os.listdir("/proc") if name.isdigit()]
        except OSError:
            return
        others = [pid for pid in others if pid != me]
        if not others:
            return
        # kill(-1) only as a container's PID 1: anywhere else it would reach the user's processes.
        for pid in ([-1] if me == 1 else []) + others:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if not _reap_all():
            time.sleep(0.0005)  # killed, not yet dead, or not yet re-parented to us


def _reap_all():
    """Reap every child that has exited: True when there was one, None when no child is left."""
    reaped = False
    while True:
        try:
            done, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return None
        if not done:
            return reaped
        reaped = True


def run_case(prepared, job, case, timeout):
    """Parent side: fork a child for one case, read its record within the timeout."""
    arguments = prepared.arguments_of(case)
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = _fork(started + timeout)
    if pid == 0:
        os.close(read_fd)
        child_main(prepared, job, case, arguments, write_fd)
    os.close(write_fd)
    chunks, size, deadline = [], 0, started + timeout
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([read_fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if b"\n" in chunk or size > RECORD_LIMIT:
            break
    os.close(read_fd)
    wall = time.monotonic() - started
    if timed_out:
        _kill_group(pid)
    status = _reap(pid, deadline + 0.5)
    sweep_processes()
    if timed_out:
        return {"status": "timeout", "wall_s": wall}
    raw = b"".join(chunks)
    if size > RECORD_LIMIT:
        return {"status": "protocol_error", "detail": "record too large", "wall_s": wall}
    if not raw.endswith(b"\n"):
        return {"status": "crashed", "detail": _describe(status), "wall_s": wall}
    try:
        record = json_loads(raw)
    except (ValueError, RecursionError):
        return {"status": "protocol_error", "detail": "unparsable record", "wall_s": wall}
    if type(record) is not dict:
        return {"status": "protocol_error", "detail": "record is not an object", "wall_s": wall}
    record["wall_s"] = wall
    return record


def _fork(deadline):
    """Fork, retrying while the pids limit is still full of a previous case's dying processes."""
    while True:
        try:
            return os.fork()
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            sweep_processes()
            time.sleep(0.01)


def _kill_group(pid):
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def _reap(pid, deadline):
    """Wait for the child, killing it if it outlives the deadline; return its wait status.

    The child exits right after its record, so this mostly waits microseconds: it looks
    again at once, then backs off, never longer than 2 ms between looks.
    """
    pause = 0.00005
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            _kill_group(pid)
            deadline = float("inf")
        time.sleep(pause)
        pause = min(pause * 2, 0.002)


def _describe(status):
    if status is None:
        return "no report"
    if os.WIFSIGNALED(status):
        return "killed by signal %d" % os.WTERMSIG(status)
    return "exited with status %d without a report" % os.WEXITSTATUS(status)


def make_undumpable(prctl):
    """Stop same-uid children from opening /proc/<harness>/fd or mem (PR_SET_DUMPABLE = 0)."""
    try:
        return prctl(4, 0, 0, 0, 0) == 0
    except Exception:
        return False


def main():
    """Set up what every case shares, wait for the job, run each case in its own process."""
    prctl = libc_prctl()
    undumpable = make_undumpable(prctl)
    refuse_io_uring(prctl)  # inherited by every case and everything a case starts
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # for the cases (and a report nobody reads)
    if os.environ.pop("CHOREBENCH_PRELOAD", "") == "pytest":
        preload_pytest()
    # Block-buffered after the hello line: the host reads the report only as a whole (a
    # report cut short counts for nothing), and a write per record would cost a write, a
    # frame and a read on each hop from here to the host.
    out = os.fdopen(os.dup(1), "w", encoding="ascii", buffering=1 << 16)

    def emit(record):
        out.write(json_dumps(record) + "\n")

    line = sys.stdin.buffer.readline(JOB_LIMIT)
    job = json_loads(line)
    emit({"kind": "hello", "python": sys.version.split()[0], "undumpable": undumpable})
    out.flush()  # out at once: a harness killed later is one that stopped, not one that never began
    prepared = Prepared(job)
    # Everything made so far stays out of the collector's reach: a collection in a case's
    # process would otherwise write to every object's header and copy the harness's memory.
    gc.freeze()
    cases = job.get("cases") or [{"id": "run"}]
    if job.get("batch"):
        run_batch(prepared, job, cases, lambda record: emit(dict(record, kind="case")))
    for case in [] if job.get("batch") else cases:
        record = run_case(prepared, job, case, float(job["timeout"]))
        emit(dict(record, kind="case", case=case["id"]))
    emit({"kind": "done"})
    out.close()
    os._exit(0)


if __name__ == "__main__":
    main()
