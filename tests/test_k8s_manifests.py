"""The Kubernetes design (docs/SCALING.md): manifests valid against Kubernetes' own schemas.

Offline: ``kubernetes-validate`` ships the published OpenAPI-derived JSON schemas of each
release; the strict ones reject unknown fields, so a misspelled key fails here.
"""

from __future__ import annotations

import copy

import k8s_manifests
import kubernetes_validate
import pytest

VERSIONS = ("1.30.0", "1.37.0")  # an older release still in wide use, and the newest shipped


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_kubernetes(version):
    for manifest in k8s_manifests.manifests():
        kubernetes_validate.validate(manifest, version, strict=True)


def test_the_validation_can_fail():
    pod = copy.deepcopy(next(m for m in k8s_manifests.manifests() if m["kind"] == "PodTemplate"))
    pod["template"]["spec"]["containers"][0]["securityContxt"] = {}  # a typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod, VERSIONS[-1], strict=True)
    pod = copy.deepcopy(next(m for m in k8s_manifests.manifests() if m["kind"] == "PodTemplate"))
    pod["template"]["spec"]["restartPolicy"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod, VERSIONS[-1], strict=True)


def by_kind(kind: str) -> list[dict]:
    return [m for m in k8s_manifests.manifests() if m["kind"] == kind]


def test_the_pods_keep_the_sandboxs_promises():
    specs = [by_kind("PodTemplate")[0]["template"]["spec"]]
    specs.append(by_kind("ReplicaSet")[0]["spec"]["template"]["spec"])
    for spec in specs:
        assert spec["runtimeClassName"] == by_kind("RuntimeClass")[0]["metadata"]["name"]
        assert spec["automountServiceAccountToken"] is False
        assert not any(spec[k] for k in ("hostNetwork", "hostPID", "hostIPC"))
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert all("hostPath" not in volume for volume in spec["volumes"])
        (container,) = spec["containers"]
        assert container["command"] == k8s_manifests.HARNESS
        assert container["stdin"] and container["stdinOnce"] and not container["tty"]
        assert container["resources"]["limits"] == container["resources"]["requests"]
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] and not context["allowPrivilegeEscalation"]
        assert context["capabilities"]["drop"] == ["ALL"]
        assert not container.get("env") or {e["name"] for e in container["env"]} == {
            "HOME",
            "LANG",
        }


def test_the_network_policy_denies_everything_dns_included():
    (policy,) = by_kind("NetworkPolicy")
    assert policy["spec"]["podSelector"] == {}  # every pod of the namespace
    assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert "egress" not in policy["spec"] and "ingress" not in policy["spec"]  # no rule at all
    assert all(m["metadata"].get("namespace") in (None, policy["metadata"]["namespace"])
               for m in k8s_manifests.manifests())  # fmt: skip


def test_the_documented_file_is_what_the_code_generates():
    assert k8s_manifests.OUT.read_text(encoding="utf-8") == k8s_manifests.render(), (
        "docs/k8s/chorebench-sandbox.json is stale: run python scripts/k8s_manifests.py"
    )
