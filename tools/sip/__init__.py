"""SIP equipment for the tests and the bench: a Kamailio running the integration, sipp phones
and callers, their message traces, and a SIP load with its failover figures."""
