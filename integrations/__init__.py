"""Integrations with PBXs (installed as callcenter.integrations): code that runs inside a PBX and
drives the router over the PBX contract. Like a service, an integration imports only the kernel
and the API."""
