"""The services (installed as callcenter.services): router, recorder, stats and the supervisor gateway.
Each imports the kernel (callcenter.core) and the API (callcenter.api), never another service."""
