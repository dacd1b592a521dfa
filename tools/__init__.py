"""Tools beside the services (installed as callcenter.tools): the simulator, the bench, codegen.
No service imports them."""
