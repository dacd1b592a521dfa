"""The gateway's domain: who may see and do what (access.py), and the router, stats and
recorder RPCs behind each API operation. Nothing here knows HTTP: a function takes the user
and the backends, returns protobuf messages or plain data, refuses with the kernel's errors
(callcenter/core/errors.py, plus errors.Conflict) and lets the backends' grpc.aio.AioRpcError
through. The handlers (../*_api.py) parse a request, call one function here and render its
result; ../error_replies.py turns every refusal into an HTTP status."""
