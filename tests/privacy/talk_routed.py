"""`desktop-assistant talk …` with gTTS's requests sent to a loopback endpoint instead of Google.

    python tests/privacy/talk_routed.py <gtts endpoint url> talk --speak

The only change to the app: every `Engine` is given the endpoint (the seam the GUI tests use through
`build_engine(gtts_endpoint=…)`); the CLI, the composition root and every engine part run as
`python -m desktop_assistant` runs them.
"""

import sys

from desktop_assistant import cli
from desktop_assistant.engine import Engine

endpoint = sys.argv[1]
built = Engine.__init__
Engine.__init__ = lambda self, app, **options: built(self, app, **{**options, "gtts_endpoint": endpoint})
sys.exit(cli.main(sys.argv[2:]))
