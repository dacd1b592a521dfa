from callcenter.services.recorder.server import main

main()
