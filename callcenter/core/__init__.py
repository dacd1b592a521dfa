"""The shared kernel: what every service builds on (configuration, logging, Redis, gRPC serving,
errors, background workers, the queue-settings model). It imports no service and no tool."""
