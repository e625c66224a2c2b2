from papersift.cli import main

main()
