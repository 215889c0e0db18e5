from sourcetrace.cli import main

main()
