"""``python -m slimplace``: the same command line as the ``slimplace`` script."""

from slimplace.cli import main

if __name__ == "__main__":
    main()
