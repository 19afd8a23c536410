"""`desktop-assistant check [--json]`: can the app run here, and what would it use?"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from typing import Any

from desktop_assistant import __version__


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check", help="print diagnostics: devices, model, key, agents, database")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _audio() -> tuple[dict[str, Any], str | None]:
    """Devices found, or why none; the second value is a blocking problem."""
    try:
        from desktop_assistant.audio import devices
    except OSError as exc:  # PortAudio library missing
        return {"available": False, "error": str(exc)}, (
            f"PortAudio is missing ({exc}); install it: sudo apt-get install libportaudio2")
    problem = devices.describe_problem()
    if problem and "PortAudio" in problem:
        return {"available": False, "error": problem}, problem
    found = devices.list_devices() if not problem else None
    info: dict[str, Any] = {
        "available": problem is None,
        "error": problem,
        "inputs": [d.name for d in found.inputs] if found else [],
        "outputs": [d.name for d in found.outputs] if found else [],
    }
    return info, None


def _stt(app: Any) -> dict[str, Any]:
    from desktop_assistant.speech import models

    try:
        choice = models.plan(app.settings, app.paths)
    except Exception as exc:  # noqa: BLE001 - a diagnostic reports, it does not crash
        return {"requested": app.settings.stt_model, "error": str(exc)}
    return {"requested": app.settings.stt_model, "model": choice.name, "source": choice.source,
            "path": str(choice.path), "reason": choice.reason,
            "compute_type": app.settings.stt_compute_type}


def _database(app: Any) -> dict[str, Any]:
    from desktop_assistant.history.diagnose import diagnose

    return diagnose(app.paths.database_file)


def collect(app: Any) -> dict[str, Any]:
    problems: list[str] = []
    warnings: list[str] = []
    audio, audio_problem = _audio()
    if audio_problem:
        problems.append(audio_problem)
    elif not audio["available"]:
        warnings.append(f"audio: {audio['error']}")
    stt = _stt(app)
    if "error" in stt:
        problems.append(f"speech model: {stt['error']}")
    elif stt.get("reason"):
        warnings.append(stt["reason"])
    database = _database(app)
    if database.get("integrity") not in (None, "ok"):
        warnings.append(f"database: {database['integrity']}")
    key_set = bool(app.settings.groq_api_key)
    if not key_set:
        warnings.append("No Groq API key: add it in Settings or set GROQ_API_KEY "
                        "(transcription and history work without)")
    agent_errors = [e.message for e in app.agents.errors]
    warnings.extend(f"agent not loaded: {e}" for e in agent_errors)
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "data_dir": str(app.paths.data_dir),
        "config_dir": str(app.paths.config_dir),
        "log_file": str(app.paths.log_file),
        "audio": audio,
        "stt": stt,
        "groq_key_set": key_set,
        "groq_base_url": app.settings.groq_base_url,
        "llm_model": app.settings.llm_model,
        "agents": {"loaded": list(app.agents.agents), "default": app.agent.id, "errors": agent_errors},
        "database": database,
        "problems": problems,
        "warnings": warnings,
        "ok": not problems,
    }


def _print_human(report: dict[str, Any]) -> None:
    audio, stt, db = report["audio"], report["stt"], report["database"]
    print(f"Desktop Assistant {report['version']} (Python {report['python']}, {report['platform']})")
    print(f"  data dir    {report['data_dir']}")
    print(f"  log file    {report['log_file']}")
    if audio["available"]:
        print(f"  audio in    {', '.join(audio['inputs']) or 'none'}")
        print(f"  audio out   {', '.join(audio['outputs']) or 'none'}")
    else:
        print(f"  audio       unavailable: {audio['error']}")
    if "error" in stt:
        print(f"  speech      error: {stt['error']}")
    else:
        print(f"  speech      {stt['model']} ({stt['source']}, {stt['compute_type']}) {stt['path']}")
    print(f"  groq key    {'set' if report['groq_key_set'] else 'not set'}")
    print(f"  agents      {', '.join(report['agents']['loaded']) or 'none'}")
    print(f"  database    {db['path']} ({'integrity ' + str(db['integrity']) if db['exists'] else 'not created yet'})")
    for warning in report["warnings"]:
        print(f"warning: {warning}")
    for problem in report["problems"]:
        print(f"PROBLEM: {problem}")
    print("OK: the app can run." if report["ok"] else "The app cannot run until the problems above are fixed.")


def run(app: Any, args: argparse.Namespace) -> int:
    report = collect(app)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_human(report)
    return 0 if report["ok"] else 1
