"""Code generated from protos/ by `callcenter codegen` (never edited by hand): the gRPC contract."""
