from callcenter.services.router.server import main

main()
