from kmodsim.cli import main

main()
