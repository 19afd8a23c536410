"""Speech: Whisper model resolution (`models`), speech to text (`stt`), text to speech (`tts`)."""
