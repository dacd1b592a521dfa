"""Kubernetes objects as the deploy tests read them: by kind, label selectors, and which pod the
NetworkPolicies let talk to which."""

from __future__ import annotations

import ipaddress


def by_kind(objects, kind):
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def selector_matches(selector: dict | None, labels: dict) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against labels."""
    if selector is None:
        return False
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not ok:
            return False
    return True


class Network:
    """Decides, from the NetworkPolicies, whether a pod may open a connection to another."""

    def __init__(self, objects):
        self.policies = list(by_kind(objects, "NetworkPolicy").values())
        self.namespace = next(iter(by_kind(objects, "Namespace")))
        self.namespace_labels = {"kubernetes.io/metadata.name": self.namespace}

    def pod(self, component: str, name: str = "callcenter") -> dict:
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component}
        return {"namespace": self.namespace_labels, "pod": labels, "ours": True}

    def _selected(self, pod, direction):
        return [
            p
            for p in self.policies
            if pod.get("ours")
            and direction in p["spec"]["policyTypes"]
            and selector_matches(p["spec"]["podSelector"], pod["pod"])
        ]

    def _peer_matches(self, peer, other, ip):
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            inside = ip is not None and _in_cidr(ip, block["cidr"])
            return inside and not any(_in_cidr(ip, cut) for cut in block.get("except", ()))
        if other is None:
            return False
        namespace_ok = (
            selector_matches(peer["namespaceSelector"], other["namespace"])
            if "namespaceSelector" in peer
            else other["namespace"] == self.namespace_labels
        )
        pod_ok = selector_matches(peer["podSelector"], other["pod"]) if "podSelector" in peer else True
        return namespace_ok and pod_ok

    def _allows(self, pod, direction, other, port, protocol, ip=None):
        selected = self._selected(pod, direction)
        if not selected:
            return True
        key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        for policy in selected:
            for rule in policy["spec"].get(key, []):
                ports_ok = "ports" not in rule or any(
                    p.get("protocol", "TCP") == protocol and p["port"] == port for p in rule["ports"]
                )
                peers_ok = peers not in rule or any(self._peer_matches(peer, other, ip) for peer in rule[peers])
                if ports_ok and peers_ok:
                    return True
        return False

    def can_connect(self, source, target, port, protocol="TCP"):
        return self._allows(source, "Egress", target, port, protocol) and self._allows(
            target, "Ingress", source, port, protocol
        )

    def can_reach_ip(self, source, ip, port):
        return self._allows(source, "Egress", None, port, "TCP", ip=ip)


def _in_cidr(ip: str, cidr: str) -> bool:
    return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr)
