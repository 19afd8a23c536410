"""Run by test_history_crash.py in a child process: one turn whose reply streams until killed.

Prints "user <id>" once the user message is committed, then "streaming <id>", then keeps
updating the reply text (one commit per update) until the parent kills it with SIGKILL.
"""

import sys
from pathlib import Path

from desktop_assistant.history.store import HistoryStore

store = HistoryStore.open(Path(sys.argv[1]))
conversation = store.conversation_for_turn("assistant", 3600.0)
user_id = store.add_message(conversation, "user", "What should I cook tonight?", source="voice")
print(f"user {user_id}", flush=True)
reply_id = store.add_message(conversation, "assistant", "", status="streaming")
print(f"streaming {reply_id}", flush=True)
text = ""
i = 0
while True:
    i += 1
    text += f"word{i} "
    store.update_message(reply_id, text=text)
    if i == 50:
        print("updating", flush=True)
