"""`python -m desktop_assistant` → the command-line entry point."""

import sys

from desktop_assistant.cli import main

if __name__ == "__main__":
    sys.exit(main())
