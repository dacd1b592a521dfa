from services.stats.server import main

main()
