"""`python -m statuscli`."""

from statuscli.cli import main

if __name__ == "__main__":
    main()
