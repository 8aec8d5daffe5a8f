from msgsvc.cli import main

main()
