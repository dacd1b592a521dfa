"""The benchmark (`python -m callcenter.tools.bench`, `callcenter bench`): the machine's gRPC and Redis
ceiling, the router's call lifecycle against it, timer precision under load, and routing
cost as the number of agents grows. See docs/performance.md."""
