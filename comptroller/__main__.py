from comptroller.cli import main

main()
