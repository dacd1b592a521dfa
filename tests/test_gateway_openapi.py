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
