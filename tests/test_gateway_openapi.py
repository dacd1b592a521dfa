"""The OpenAPI document the gateway serves describes exactly the API it has."""

from __future__ import annotations

from callcenter.services.gateway.openapi import document


async def test_every_api_route_is_in_the_openapi_document_and_nothing_else(gateway):
    reply = await gateway.client.get("/openapi.json")
    assert reply.status == 200
    served = await reply.json()
    assert served == document()
    routes = {
        (route.resource.canonical, route.method.lower())
        for route in gateway.app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/") and route.method != "HEAD"
    }
    documented = {(path, method) for path, ops in served["paths"].items() for method in ops}
    assert routes == documented


def _documented(op: dict) -> tuple[set[str], set[str]]:
    query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    return query, set(body.get("properties", {}))


async def test_every_api_route_takes_exactly_the_query_parameters_and_body_fields_it_documents(gateway):
    paths = (await (await gateway.client.get("/openapi.json")).json())["paths"]
    checked = 0
    for route in gateway.app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if not path.startswith("/api/") or route.method == "HEAD":
            continue
        declared = getattr(route.handler, "accepts", None)
        assert declared is not None, f"{route.method} {path} declares nothing it takes (web.accepts)"
        query, body = _documented(paths[path][route.method.lower()])
        assert (set(declared.query), set(declared.body)) == (query, body), f"{route.method} {path}"
        checked += 1
    assert checked == sum(len(ops) for ops in paths.values())
