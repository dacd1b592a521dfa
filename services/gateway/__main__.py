from callcenter.services.gateway.server import main

main()
