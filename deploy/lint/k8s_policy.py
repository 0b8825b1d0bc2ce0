"""What the schema cannot say about the rendered deploy/k8s (stdin): the rules deploy/k8s/README.md
promises. No Secret is applied (the operator owns it); every pod runs as a numeric non-root user
with no privilege escalation, no capabilities, a read-only root and the runtime's seccomp profile;
every container has requests and limits; every Deployment has a HorizontalPodAutoscaler (and so no
replica count of its own) and a PodDisruptionBudget; every Job cleans up after itself. Prints every
problem at once and exits 1 if there is any."""

import sys

import yaml

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


def name_of(resource):
    return f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}"


def pod_problems(pod):
    problems = []
    pod_security = pod.get("securityContext") or {}
    containers = (pod.get("initContainers") or []) + (pod.get("containers") or [])
    for container in containers:
        where = f"container {container.get('name')}"
        security = {**pod_security, **(container.get("securityContext") or {})}
        if security.get("runAsNonRoot") is not True:
            problems.append(f"{where}: runAsNonRoot is not true")
        for field in ("runAsUser", "runAsGroup"):
            value = security.get(field)
            if not isinstance(value, int) or isinstance(value, bool) or value == 0:
                problems.append(f"{where}: {field} must be a non-zero number (the image's user), not {value!r}")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem is not true")
        if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{where}: capabilities do not drop ALL")
        if (security.get("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{where}: seccompProfile is not RuntimeDefault")
        resources = container.get("resources") or {}
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (resources.get(kind) or {}):
                    problems.append(f"{where}: no {kind}.{resource}")
    return problems


def selects(selector, labels):
    match = (selector or {}).get("matchLabels") or {}
    return bool(match) and all(labels.get(key) == value for key, value in match.items())


def check(resources):
    problems = []
    scaled = {
        r["spec"]["scaleTargetRef"]["name"]
        for r in resources
        if r.get("kind") == "HorizontalPodAutoscaler" and r["spec"]["scaleTargetRef"].get("kind") == "Deployment"
    }
    budgets = [r["spec"].get("selector") for r in resources if r.get("kind") == "PodDisruptionBudget"]
    for resource in resources:
        kind, spec = resource.get("kind"), resource.get("spec") or {}
        if kind == "Secret":
            problems.append(f"{name_of(resource)}: Secrets are created by the operator, never applied from here")
        if kind not in WORKLOADS:
            continue
        template = spec.get("template") or {}
        problems += [f"{name_of(resource)}: {p}" for p in pod_problems(template.get("spec") or {})]
        if kind == "Deployment":
            name = resource["metadata"]["name"]
            if name not in scaled:
                problems.append(f"{name_of(resource)}: no HorizontalPodAutoscaler scales it")
            elif "replicas" in spec:
                problems.append(f"{name_of(resource)}: sets replicas, which every apply would reset under its autoscaler")
            labels = (template.get("metadata") or {}).get("labels") or {}
            if not any(selects(budget, labels) for budget in budgets):
                problems.append(f"{name_of(resource)}: no PodDisruptionBudget covers its pods")
        if kind == "Job" and "ttlSecondsAfterFinished" not in spec:
            problems.append(f"{name_of(resource)}: no ttlSecondsAfterFinished, so finished Jobs pile up")
    return problems


def main():
    resources = [doc for doc in yaml.safe_load_all(sys.stdin) if doc]
    if not resources:
        print("no resources rendered", file=sys.stderr)
        return 1
    problems = check(resources)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
