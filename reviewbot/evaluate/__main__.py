from reviewbot.evaluate.cli import main

main()
