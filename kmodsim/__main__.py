from kmodsim.entry import main

main()
