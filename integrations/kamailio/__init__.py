"""The Kamailio integration (docs/kamailio.md): a KEMI Python module that routes every call to a
queue's number through the router, holding one PBX session per Kamailio instance."""
