"""`desktop-assistant talk …` with gTTS's requests sent to a loopback endpoint instead of Google.

    python tests/privacy/talk_routed.py <gtts endpoint url> talk --speak

The only change to the app: `assistant.wiring.synthesizer_factory` is given the endpoint (the seam
the GUI tests use through `build_engine(gtts_endpoint=…)`); the CLI, the composition root and every
engine part run as `python -m desktop_assistant` runs them.
"""

import sys

from desktop_assistant import cli
from desktop_assistant.assistant import wiring

endpoint = sys.argv[1]
factory = wiring.synthesizer_factory
wiring.synthesizer_factory = lambda app, on_notice, gtts_endpoint=None: factory(app, on_notice, endpoint)
sys.exit(cli.main(sys.argv[2:]))
