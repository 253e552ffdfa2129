from tfprep.cli import main

main()
