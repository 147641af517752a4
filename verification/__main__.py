"""`python -m verification verify ...`: the verifier without the server's libraries."""

import sys

from verification.cli import main

sys.exit(main())
