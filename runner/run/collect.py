"""``chorebench run``: collect responses from model servers, grade each as it arrives.

Order: model by model on each host (a GPU is not thrashed by swapping models), spec by spec,
run by run. Models on different hosts run in parallel. A host that stops answering hands
its remaining samples to another live host that lists the model; with none, the samples are
recorded with the error. Grading runs in a pool of its own (``jobs`` workers), so it overlaps
with waiting for the next response.

A sample is identified by (model digest, spec id, effective options, phase, run index):
rerunning the same command resumes, a changed model is sampled afresh, and repeated runs are
never collapsed into one cached answer. A sample of an older version of its spec (by content
hash, ``rundir.sample_state``) is sampled again, unless ``regrade`` re-scored it against the
current one; the newer record replaces the older.

A stop request (``runner.run.stop``) is obeyed between requests: none starts after it, and no
grade either (an answer that arrives is stored ungraded and graded by the next resume).

Each host has the client its host string names (``runner.backends``: Ollama's native API or
an OpenAI-compatible server); nothing here depends on which. Grading is ``runner.grade``'s,
in whatever ``Sandbox`` is handed in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import Any

from runner.backends import Client, Completion, ModelInfo, make_client, model_key, survey
from runner.errors import (
    BackendError,
    ModelNotFound,
    NoEngineLeft,
    ServerUnreachable,
    TransientError,
)
from runner.grade import Sandbox, grade_response, grader_pool
from runner.records import (
    Grade,
    ModelStarted,
    Progress,
    StageStarted,
    UnitDone,
    UnitStarted,
    no_progress,
    sample_label,
)
from runner.run.planning import (
    RunPlan,
    RunSummary,
    WorkItem,
    legacy_sample_key,
    missing_models,
    request_options,
    sample_key,
)
from runner.run.recording import run_manifest, sample_record
from runner.run.stop import Stop
from runner.rundir import (
    MANIFEST,
    SampleLog,
    SampleRecord,
    now,
    read_manifest,
    read_samples,
    sample_state,
    write_json_atomic,
)


def collect(
    plan: RunPlan,
    sandbox: Sandbox,
    image: dict[str, str],
    progress: Progress = no_progress,
    jobs: int = 1,
    api_key: str | None = None,
    stop: Stop | None = None,
    engines: Callable[[], list[dict[str, Any]]] = list,
) -> RunSummary:
    """Collect and grade every missing sample of ``plan`` into ``plan.out``.

    Up to ``jobs`` responses are graded at once, while the next ones are awaited.
    ``api_key`` is sent to OpenAI-compatible hosts (never written anywhere). ``progress``
    hears the stage (``plan.phase``) start, each model start, each request sent and each
    sample recorded. A model no host lists is left out (the manifest's phase names it under
    ``missing_models``), with no sample.

    A stored response that was never graded (a stop came first) is graded, not asked again.
    Once ``stop`` is requested no request or grade starts; what is in flight is recorded (a
    response whose grade had not started is stored ungraded), and the manifest says
    ``interrupted`` when work is left. A KeyboardInterrupt (a second request: abandon) cancels
    the queued grades and waits only for those running. ``engines`` describes the sandbox's
    engines for the manifest (at the start and again at the end).

    When the sandbox has no engine left, the run stops as on a stop request (the responses
    in hand are stored ungraded, nothing more is asked) and raises ``NoEngineLeft``.

    Raises:
        ServerUnreachable: no host answers at all.
        ModelNotFound: no host lists any of the models.
        NoEngineLeft: every engine was lost; the same command resumes, grading the stored
            responses without asking for them again.
    """
    stop = stop or Stop()
    started_at = now()
    clients = {
        host: make_client(host, plan.timeout_s, plan.retries, plan.backoff_s, api_key)
        for host in plan.hosts
    }
    try:
        found = survey(clients)
        previous = read_manifest(plan.out) if (plan.out / MANIFEST).exists() else None
        manifest = run_manifest(plan, found.servers, image, started_at, previous, engines())
        models_meta, work, missing = _plan_work(plan, clients, found.listings)
        manifest["models"].update(models_meta)
        if missing:
            manifest["phases"][plan.phase]["missing_models"] = missing
        write_json_atomic(plan.out / MANIFEST, manifest)
        latest = {r.key: r for r in read_samples(plan.out, repair=True)}
        todo: list[WorkItem] = []
        ungraded: list[tuple[WorkItem, SampleRecord]] = []
        for item in work:
            record = latest.get(item.key) or latest.get(item.legacy_key)
            state_of = sample_state(record, item.spec.sha256)
            if state_of == "ungraded" and record is not None:
                ungraded.append((item, record))
            elif state_of != "done":
                todo.append(item)
        skipped = len(work) - len(todo) - len(ungraded)
        progress(StageStarted(plan.phase, len(todo) + len(ungraded), skipped))
        recorder = _Recorder(SampleLog(plan.out), progress, sandbox, jobs, stop)
        with stop.obeyed():
            try:
                for item, record in ungraded:
                    recorder.grade_stored(item, record)
                _collect_rounds(plan, clients, found.listings, todo, recorder)
            except BaseException:
                recorder.abandon()
                raise
            finally:
                recorder.finish()
                left = len(todo) + len(ungraded) - recorder.finished
                for model, loaded in recorder.loaded.items():
                    manifest["models"].setdefault(model, {})["loaded"] = loaded
                manifest.update(
                    ended_at=now(),
                    status="interrupted" if left else "complete",
                    engines=engines(),
                )
                write_json_atomic(plan.out / MANIFEST, manifest)
        if recorder.no_engine is not None:
            raise recorder.no_engine
        return RunSummary(
            plan.phase,
            plan.out,
            recorder.collected,
            skipped,
            recorder.failed,
            tuple(sorted(recorder.hosts_down)),
            left,
        )
    finally:
        for client in clients.values():
            client.close()


class _Recorder:
    """Shared by host workers: grades each sample off their threads, appends it, counts;
    obeys the stop request."""

    def __init__(
        self,
        log: SampleLog,
        progress: Progress,
        sandbox: Sandbox,
        jobs: int,
        stop: Stop,
    ) -> None:
        self.log = log
        self.progress = progress
        self.sandbox = sandbox
        self.stop = stop
        self.grader = grader_pool(jobs)
        self.pending: list[Future[None]] = []
        self.lock = threading.Lock()
        self.collected = 0
        self.failed = 0
        self.finished = 0  # samples now graded or failed: nothing left to do for them
        self.hosts_down: set[str] = set()
        self.loaded: dict[str, dict[str, Any]] = {}
        self.no_engine: NoEngineLeft | None = None  # the sandbox lost every engine: stop
        self._abandoned = False

    @property
    def halted(self) -> bool:
        """No request or grade may start: a stop was requested, or no engine is left."""
        return self.stop.stopping or self.no_engine is not None

    def _grade(self, item: WorkItem, response: str) -> tuple[Grade | None, str | None]:
        """``graded``, or (None, None) when no engine is left: the sample stays ungraded."""
        try:
            return graded(item, response, self.sandbox)
        except NoEngineLeft as exc:
            self.no_engine = self.no_engine or exc
            return None, None

    def record(
        self, item: WorkItem, host: str | None, completion: Completion | None, error: str | None
    ) -> None:
        """Grade (off the caller's thread) and append the sample; ungraded after a stop."""

        def work() -> None:
            grade, failure = None, error
            if completion is not None and not self.halted:
                grade, failure = self._grade(item, completion.response)
            record = sample_record(item, host, completion, failure, grade)
            self.log.append(record)
            done = completion is None or grade is not None or failure is not None
            with self.lock:
                self.collected += completion is not None
                self.failed += completion is None
                self.finished += done
            if done:
                self.progress(sample_done(record))

        self.pending.append(self.grader.submit(work))

    def grade_stored(self, item: WorkItem, record: SampleRecord) -> None:
        """Grade a stored response that was never graded (its spec unchanged since), and
        append it graded."""

        def work() -> None:
            if self.halted:
                return
            grade, failure = self._grade(item, record.response)
            if grade is None and failure is None:
                return  # no engine left: it stays as stored
            regraded = replace(record, grade=grade, error=failure, recorded_at=now())
            self.log.append(regraded)
            with self.lock:
                self.collected += 1
                self.finished += 1
            self.progress(sample_done(regraded))

        self.pending.append(self.grader.submit(work))

    def abandon(self) -> None:
        """Cancel the grades not started; ``finish`` then waits only for those running."""
        self._abandoned = True
        self.grader.shutdown(wait=False, cancel_futures=True)

    def finish(self) -> None:
        if self._abandoned:
            self.grader.shutdown(wait=True, cancel_futures=True)
            return
        for future in self.pending:
            future.result()
        self.grader.shutdown(wait=True)


def graded(item: WorkItem, response: str, sandbox: Sandbox) -> tuple[Grade | None, str | None]:
    """One sample's grade, and its error (None when the grade counts).

    A sample whose grade the sandbox failed, or that could not be graded at all, records why,
    so that a resumed run grades it again; one sample's failure never stops the run.
    """
    try:
        grade = grade_response(item.spec, response, sandbox)
    except NoEngineLeft:
        raise  # not this sample's failure: the run stops (the caller's to handle)
    except Exception as exc:  # a bug, not the candidate: keep the run, retry on resume
        return None, f"grading failed: {exc.__class__.__name__}: {str(exc)[:300]}"
    return grade, f"the sandbox failed: {grade.error}" if grade.infra_failed else None


def _plan_work(
    plan: RunPlan,
    clients: dict[str, Client],
    listings: dict[str, dict[str, ModelInfo]],
) -> tuple[dict[str, Any], list[WorkItem], dict[str, str]]:
    """Each listed model's metadata and samples; the models no host lists, with why.

    Raises:
        ModelNotFound: no host lists any of the plan's models.
    """
    models_meta: dict[str, Any] = {}
    work: list[WorkItem] = []
    missing = missing_models([plan], listings)
    if plan.models and len(missing) == len(set(plan.models)):
        raise ModelNotFound("; ".join(missing.values()))
    # The names as each server lists them (an OpenAI-compatible server has no ":latest").
    every = sorted({info.name for listed in listings.values() for info in listed.values()})
    for model in plan.models or tuple(every):
        if model in missing:
            continue
        hosts = [h for h, listed in listings.items() if model_key(model) in listed]
        sent = request_options(plan, model)
        meta = _model_meta(clients[hosts[0]], listings[hosts[0]][model_key(model)], model)
        meta["hosts"] = hosts
        models_meta[model] = meta
        for spec in plan.specs:
            for run in range(1, plan.runs + 1):
                identity = (meta["digest"], spec, sent.options, sent.think, plan.phase, run)
                work.append(
                    WorkItem(
                        model,
                        spec,
                        plan.phase,
                        run,
                        sent.options,
                        sent.think,
                        sample_key(*identity),
                        legacy_sample_key(*identity),
                    )
                )
    return models_meta, work, missing


def _assign(
    items: list[WorkItem], live: set[str], listings: dict[str, dict[str, ModelInfo]]
) -> tuple[dict[str, list[WorkItem]], list[WorkItem]]:
    """Give each model to the least busy live host that lists it; return also the homeless."""
    assignment: dict[str, list[WorkItem]] = {}
    homeless: list[WorkItem] = []
    host_of: dict[str, str] = {}
    for item in items:
        if item.model not in host_of:
            hosts = sorted(h for h in live if model_key(item.model) in listings[h])
            if not hosts:
                homeless.append(item)
                continue
            load = {h: len({i.model for i in assignment.get(h, [])}) for h in hosts}
            host_of[item.model] = min(hosts, key=lambda h: (load[h], h))
        assignment.setdefault(host_of[item.model], []).append(item)
    return assignment, homeless


def _model_meta(client: Client, listed: ModelInfo, model: str) -> dict[str, Any]:
    """Metadata from /api/show, with the digest and on-disk size from /api/tags."""
    try:
        info = client.show(model)
    except BackendError:
        info = listed
    meta = asdict(info)
    meta.update(digest=listed.digest or info.digest, size=listed.size or info.size)
    return meta


def _collect_rounds(
    plan: RunPlan,
    clients: dict[str, Client],
    listings: dict[str, dict[str, ModelInfo]],
    todo: list[WorkItem],
    recorder: _Recorder,
) -> None:
    """Run work host by host in parallel; reassign a dead host's leftovers, round after round."""
    live = set(listings)
    leftovers = todo
    while leftovers and not recorder.stop.stopping:
        assignment, homeless = _assign(leftovers, live, listings)
        for item in homeless:
            recorder.record(item, None, None, "every host that lists this model stopped answering")
        leftovers = []
        if not assignment:
            return
        # Not ``with``: its exit would wait for every request in flight, even when abandoned.
        pool = ThreadPoolExecutor(max_workers=len(assignment))
        try:
            futures = {
                host: pool.submit(_host_worker, plan, clients[host], host, items, recorder)
                for host, items in assignment.items()
            }
            for host, future in futures.items():
                rest = future.result()
                if rest:
                    live.discard(host)
                    recorder.hosts_down.add(host)
                    leftovers += rest
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def _host_worker(
    plan: RunPlan, client: Client, host: str, items: list[WorkItem], recorder: _Recorder
) -> list[WorkItem]:
    """Collect ``items`` on one host, model by model; return what is left if the host dies.

    Up to ``plan.concurrency`` requests of the same model are in flight at once.
    """
    models = list(dict.fromkeys(item.model for item in items))
    for position, model in enumerate(models):
        if recorder.stop.stopping:
            return []
        group = [item for item in items if item.model == model]
        recorder.progress(ModelStarted(plan.phase, model, host, len(group)))
        with ThreadPoolExecutor(max_workers=max(1, plan.concurrency)) as pool:
            returned = pool.map(lambda item: _collect_one(client, host, item, recorder), group)
            lost = [item for item in returned if item]
        if lost:
            later = [item for item in items if item.model in models[position + 1 :]]
            return lost + later
        _note_loaded(client, model, recorder)
    return []


def _collect_one(client: Client, host: str, item: WorkItem, recorder: _Recorder) -> WorkItem | None:
    """Collect one sample; return it back when the host is gone (to run elsewhere).

    Nothing is asked once a stop is requested, or once no engine is left to grade on.
    """
    if recorder.halted:
        return None
    label = sample_label(item.model, item.spec.id, item.run)
    recorder.progress(UnitStarted(item.phase, label))
    try:
        with recorder.stop.request_in_flight():
            completion = client.generate(item.model, item.spec.prompt, item.options, item.think)
    except (ServerUnreachable, TransientError) as exc:
        if isinstance(exc, ServerUnreachable) or _host_gone(client):
            return item
        recorder.record(item, host, None, str(exc))
        return None
    except BackendError as exc:
        recorder.record(item, host, None, str(exc))
        return None
    recorder.record(item, host, completion, None)
    return None


def _host_gone(client: Client) -> bool:
    try:
        client.version()
    except BackendError:
        return True
    return False


def _note_loaded(client: Client, model: str, recorder: _Recorder) -> None:
    """After a model's samples on a host: its resident size and VRAM share, from /api/ps."""
    if recorder.stop.stopping:
        return
    try:
        loaded = client.loaded().get(model_key(model))
    except BackendError:
        return
    if loaded:
        with recorder.lock:
            recorder.loaded[model] = {
                k: loaded.get(k) for k in ("size", "size_vram", "context_length")
            }


def sample_done(record: SampleRecord) -> UnitDone:
    """The progress event of one sample just recorded: its verdict, time, tokens and flags."""
    grade = record.grade
    verdict = f"{grade.points}/{grade.max_points}" if grade else f"error: {record.error}"
    flags = ("THINKING TRAP",) if record.thinking_trap else ()
    flags += ("OUT OF BUDGET",) if record.out_of_budget else ()
    return UnitDone(
        stage=record.phase,
        label=sample_label(record.model, record.spec, record.run),
        verdict=verdict,
        seconds=record.wall_s,
        tokens=record.eval_count,
        flags=flags,
        host=record.host,
    )
