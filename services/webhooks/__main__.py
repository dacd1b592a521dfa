from callcenter.services.webhooks.server import main

main()
