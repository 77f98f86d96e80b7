"""``chorebench run``: collect responses from model servers, grade each as it arrives.

Order: model by model on each host (a GPU is not thrashed by swapping models), spec by spec,
run by run. Models on different hosts run in parallel. A host that stops answering hands
its remaining samples to another live host that lists the model; with none, the samples are
recorded with the error. Grading runs in a pool of its own (``jobs`` workers), so it overlaps
with waiting for the next response.

A sample is identified by (model digest, spec content hash, effective options, phase, run
index): rerunning the same command resumes, a changed spec or model is sampled afresh, and
repeated runs are never collapsed into one cached answer.

Each host has the client its host string names (``runner.backends``: Ollama's native API or
an OpenAI-compatible server); nothing here depends on which. Grading is ``runner.grade``'s,
in whatever ``Sandbox`` is handed in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from runner.backends import Client, Completion, ModelInfo, make_client, model_key
from runner.errors import BackendError, ModelNotFound, ServerUnreachable, TransientError
from runner.grade import Sandbox, grade_response, grader_pool
from runner.run.planning import RunPlan, RunSummary, WorkItem, request_options, sample_key
from runner.run.recording import run_manifest, sample_record
from runner.rundir import (
    MANIFEST,
    SampleLog,
    SampleRecord,
    now,
    read_manifest,
    read_samples,
    write_json_atomic,
)


def collect(
    plan: RunPlan,
    sandbox: Sandbox,
    image: dict[str, str],
    progress: Callable[[SampleRecord], None] = lambda _: None,
    jobs: int = 1,
    api_key: str | None = None,
) -> RunSummary:
    """Collect and grade every missing sample of ``plan`` into ``plan.out``.

    Up to ``jobs`` responses are graded at once, while the next ones are awaited.
    ``api_key`` is sent to OpenAI-compatible hosts (never written anywhere).

    Raises:
        ServerUnreachable: no host answers at all.
        ModelNotFound: no host lists any of the models.
    """
    started_at = now()
    clients = {
        host: make_client(host, plan.timeout_s, plan.retries, plan.backoff_s, api_key)
        for host in plan.hosts
    }
    try:
        servers, listings = _survey(clients)
        previous = read_manifest(plan.out) if (plan.out / MANIFEST).exists() else None
        manifest = run_manifest(plan, servers, image, started_at, previous)
        models_meta, work, missing = _plan_work(plan, clients, listings)
        manifest["models"].update(models_meta)
        write_json_atomic(plan.out / MANIFEST, manifest)
        # A failed sample is not done: resuming tries it again (readers use the last record).
        records = read_samples(plan.out, repair=True)
        done = {r.key for r in records if r.error is None}
        todo = [item for item in work if item.key not in done]
        skipped = len(work) - len(todo)
        log = SampleLog(plan.out)
        recorder = _Recorder(log, progress, sandbox, jobs)
        for model, reason in missing.items():
            for item in (i for i in todo if i.model == model):
                recorder.record(item, None, None, reason)
        todo = [item for item in todo if item.model not in missing]
        try:
            _collect_rounds(plan, clients, listings, todo, recorder)
        except BaseException:
            recorder.status = "interrupted"
            raise
        finally:
            recorder.finish()
            for model, loaded in recorder.loaded.items():
                manifest["models"].setdefault(model, {})["loaded"] = loaded
            manifest.update(ended_at=now(), status=recorder.status)
            write_json_atomic(plan.out / MANIFEST, manifest)
        return RunSummary(
            plan.out,
            recorder.collected,
            skipped,
            recorder.failed,
            tuple(sorted(recorder.hosts_down)),
        )
    finally:
        for client in clients.values():
            client.close()


class _Recorder:
    """Shared by host workers: grades each sample off their threads, appends it, counts."""

    def __init__(
        self,
        log: SampleLog,
        progress: Callable[[SampleRecord], None],
        sandbox: Sandbox,
        jobs: int,
    ) -> None:
        self.log = log
        self.progress = progress
        self.sandbox = sandbox
        self.grader = grader_pool(jobs)
        self.pending: list[Future[None]] = []
        self.lock = threading.Lock()
        self.collected = 0
        self.failed = 0
        self.hosts_down: set[str] = set()
        self.status = "running"
        self.loaded: dict[str, dict[str, Any]] = {}

    def record(
        self, item: WorkItem, host: str | None, completion: Completion | None, error: str | None
    ) -> None:
        """Grade (off the caller's thread) and append the sample."""

        def work() -> None:
            grade = None
            if completion is not None:
                grade = grade_response(item.spec, completion.response, self.sandbox)
            record = sample_record(item, host, completion, error, grade)
            self.log.append(record)
            with self.lock:
                self.collected += completion is not None
                self.failed += completion is None
            self.progress(record)

        self.pending.append(self.grader.submit(work))

    def finish(self) -> None:
        for future in self.pending:
            future.result()
        self.grader.shutdown(wait=True)
        if self.status == "running":
            self.status = "complete"


def _survey(
    clients: dict[str, Client],
) -> tuple[dict[str, Any], dict[str, dict[str, ModelInfo]]]:
    servers: dict[str, Any] = {}
    listings: dict[str, dict[str, ModelInfo]] = {}
    errors = []
    for host, client in clients.items():
        entry = {"url": client.base_url, "backend": client.backend}
        try:
            servers[host] = entry | {"version": client.version()}
            listings[host] = client.models()
        except BackendError as exc:
            servers[host] = entry | {"error": str(exc)}
            errors.append(str(exc))
    if not listings:
        raise ServerUnreachable("; ".join(errors))
    return servers, listings


def _plan_work(
    plan: RunPlan,
    clients: dict[str, Client],
    listings: dict[str, dict[str, ModelInfo]],
) -> tuple[dict[str, Any], list[WorkItem], dict[str, str]]:
    models_meta: dict[str, Any] = {}
    work: list[WorkItem] = []
    missing: dict[str, str] = {}
    # The names as each server lists them (an OpenAI-compatible server has no ":latest").
    every = sorted({info.name for listed in listings.values() for info in listed.values()})
    for model in plan.models or tuple(every):
        hosts = [h for h, listed in listings.items() if model_key(model) in listed]
        sent = request_options(plan, model)
        if hosts:
            meta = _model_meta(clients[hosts[0]], listings[hosts[0]][model_key(model)], model)
            meta["hosts"] = hosts
        else:
            where = ", ".join(listings)
            hints = " or ".join(dict.fromkeys(clients[h].pull_hint(model) for h in listings))
            missing[model] = f"model {model!r} is not on any host ({where}): {hints}"
            meta = {"error": missing[model], "digest": ""}
        models_meta[model] = meta
        for spec in plan.specs:
            for run in range(1, plan.runs + 1):
                key = sample_key(meta["digest"], spec, sent.options, sent.think, plan.phase, run)
                work.append(WorkItem(model, spec, plan.phase, run, sent.options, sent.think, key))
    if len(missing) == len(models_meta):
        raise ModelNotFound("; ".join(missing.values()))
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
    while leftovers:
        assignment, homeless = _assign(leftovers, live, listings)
        for item in homeless:
            recorder.record(item, None, None, "every host that lists this model stopped answering")
        leftovers = []
        if not assignment:
            return
        with ThreadPoolExecutor(max_workers=len(assignment)) as pool:
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


def _host_worker(
    plan: RunPlan, client: Client, host: str, items: list[WorkItem], recorder: _Recorder
) -> list[WorkItem]:
    """Collect ``items`` on one host, model by model; return what is left if the host dies.

    Up to ``plan.concurrency`` requests of the same model are in flight at once.
    """
    models = list(dict.fromkeys(item.model for item in items))
    for position, model in enumerate(models):
        group = [item for item in items if item.model == model]
        with ThreadPoolExecutor(max_workers=max(1, plan.concurrency)) as pool:
            returned = pool.map(lambda item: _collect_one(client, host, item, recorder), group)
            lost = [item for item in returned if item]
        if lost:
            later = [item for item in items if item.model in models[position + 1 :]]
            return lost + later
        _note_loaded(client, model, recorder)
    return []


def _collect_one(client: Client, host: str, item: WorkItem, recorder: _Recorder) -> WorkItem | None:
    """Collect one sample; return it back when the host is gone (to run elsewhere)."""
    try:
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
    try:
        loaded = client.loaded().get(model_key(model))
    except BackendError:
        return
    if loaded:
        with recorder.lock:
            recorder.loaded[model] = {
                k: loaded.get(k) for k in ("size", "size_vram", "context_length")
            }
