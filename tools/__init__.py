"""Tools beside the services (installed as callcenter.tools): the simulator, the bench, codegen and the settings page.
No service imports them."""
