from callcenter.services.stats.server import main

main()
