"""The Kubernetes design of docs/SCALING.md as manifests, generated from the sandbox's own values.

Not used by chorebench yet: this is the design on paper, kept honest. The manifests are built
here from the same harness command, uid, limits and deadlines as the Docker sandbox
(``runner.sandbox``), written to ``docs/k8s/chorebench-sandbox.json`` (a ``List``, which
``kubectl apply -f`` takes), and validated offline against Kubernetes' published schemas in
``tests/test_k8s_manifests.py``, so the design cannot rot. Usage::

    python scripts/k8s_manifests.py [--check]     # write the file, or fail if it is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from runner.records import Limits
from runner.sandbox import HARNESS, UID, execution_deadline

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "k8s" / "chorebench-sandbox.json"
NAMESPACE = "chorebench-sandbox"
APP = "chorebench-candidate"
POOL_LABEL = "chorebench.dev/pool"  # "warm" while waiting; the runner sets "taken" to claim one
RUNTIME_CLASS = "gvisor"
WARM_PODS = 8
MAX_PODS = 32  # the namespace's quota: warm pods plus the runner's jobs at most
TMP_MB = 16  # as the Docker sandbox's /tmp tmpfs
WARM_DEADLINE_S = 900  # a warm pod never given a job goes away by itself; lowered on claim


def candidate_pod_spec(limits: Limits) -> dict[str, Any]:
    """The pod of one candidate: the Docker sandbox's hardening, in Kubernetes' words."""
    uid, gid = (int(part) for part in UID.split(":"))
    resources = {
        "cpu": "1",
        "memory": f"{limits.memory_mb + TMP_MB}Mi",  # /tmp is memory-backed, counted here
        "ephemeral-storage": "1Mi",  # nothing writes to the node's disk
    }
    return {
        "runtimeClassName": RUNTIME_CLASS,
        "serviceAccountName": "chorebench-candidate",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "hostNetwork": False,
        "hostPID": False,
        "hostIPC": False,
        "shareProcessNamespace": False,
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 0,
        "activeDeadlineSeconds": WARM_DEADLINE_S,
        # No cluster DNS in the pod's resolv.conf either (the policy drops it anyway).
        "dnsPolicy": "None",
        "dnsConfig": {"nameservers": ["127.0.0.1"]},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": uid,
            "runAsGroup": gid,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": "harness",
                "image": "chorebench-grader:TAG",  # the content-hash tag; the runner fills it
                "imagePullPolicy": "IfNotPresent",
                "command": list(HARNESS),
                "workingDir": "/tmp",
                "env": [{"name": "HOME", "value": "/tmp"}, {"name": "LANG", "value": "C.UTF-8"}],
                # The job goes in on stdin and the transcript comes out on stdout, through
                # the pods/attach stream, as through Docker's attach today.
                "stdin": True,
                "stdinOnce": True,
                "tty": False,
                "resources": {"requests": resources, "limits": dict(resources)},
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "privileged": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
            }
        ],
        "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": f"{TMP_MB}Mi"}}],
    }


def manifests(limits: Limits | None = None) -> list[dict[str, Any]]:
    """Every object the design needs, in the order ``kubectl apply`` wants them."""
    limits = limits or Limits()
    meta = {"namespace": NAMESPACE}
    labels = {"app.kubernetes.io/name": APP, "app.kubernetes.io/part-of": "chorebench"}
    pod = candidate_pod_spec(limits)
    per_pod = pod["containers"][0]["resources"]["limits"]
    memory_mi = int(per_pod["memory"].removesuffix("Mi"))
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": NAMESPACE,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
        },
        {
            "apiVersion": "node.k8s.io/v1",
            "kind": "RuntimeClass",
            "metadata": {"name": RUNTIME_CLASS},
            "handler": "runsc",  # the node's containerd must register gVisor under this name
            # gVisor's Sentry and gofer, on top of the candidate's own limits.
            "overhead": {"podFixed": {"cpu": "100m", "memory": "64Mi"}},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny-all", **meta},
            # Every pod of the namespace, both directions, and no rule at all: nothing in,
            # nothing out, DNS (UDP and TCP 53 to the cluster's resolver) included.
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "chorebench-candidate", **meta},
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "chorebench-runner", **meta},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "chorebench-runner", **meta},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["pods"],
                    "verbs": ["create", "get", "list", "watch", "patch", "delete"],
                },
                {"apiGroups": [""], "resources": ["pods/attach"], "verbs": ["create", "get"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "chorebench-runner", **meta},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "chorebench-runner",
            },
            "subjects": [
                {"kind": "ServiceAccount", "name": "chorebench-runner", "namespace": NAMESPACE}
            ],
        },
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "chorebench-sandbox", **meta},
            "spec": {
                "hard": {
                    "pods": str(MAX_PODS),
                    "requests.cpu": str(MAX_PODS),
                    "limits.cpu": str(MAX_PODS),
                    "requests.memory": f"{MAX_PODS * memory_mi}Mi",
                    "limits.memory": f"{MAX_PODS * memory_mi}Mi",
                }
            },
        },
        {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": APP, **meta},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    **pod,
                    # A pod per candidate: the host's deadline of one case here; the runner
                    # sets execution_deadline(limits, cases) for each spec, as in Docker.
                    "activeDeadlineSeconds": int(execution_deadline(limits, 1)),
                },
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "chorebench-warm", **meta},
            "spec": {
                "replicas": WARM_PODS,
                "selector": {"matchLabels": {**labels, POOL_LABEL: "warm"}},
                "template": {"metadata": {"labels": {**labels, POOL_LABEL: "warm"}}, "spec": pod},
            },
        },
    ]


def as_list() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "List", "items": manifests()}


def render() -> str:
    return json.dumps(as_list(), indent=2) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run python scripts/k8s_manifests.py", file=sys.stderr)
            sys.exit(1)
        return
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
