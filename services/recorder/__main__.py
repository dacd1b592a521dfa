from services.recorder.server import main

main()
