from trapsim.cli import main

main()
