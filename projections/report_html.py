"""A printable HTML page of the investigation report, every statement linked to its entries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import quote

_STYLE = (
    "body{font:11pt/1.45 Georgia,serif;max-width:52em;margin:2em auto;color:#111}"
    "h1{font-size:16pt}h2{font-size:13pt;border-bottom:1px solid #999}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #bbb;padding:2px 6px;"
    "text-align:left;vertical-align:top}.bad{color:#a00;font-weight:bold}"
    "a{color:#124}@media print{a{color:#111;text-decoration:none}}"
)


def _cite(log: str, entries: Iterable[object]) -> str:
    where = f"/v1/logs/{quote(log, safe='')}/entries"
    links = [f'<a href="{where}/{int(str(e))}">#{int(str(e))}</a>' for e in entries]
    return " ".join(links) or "—"


def _person_row(log: str, p: Mapping[str, Any]) -> str:
    """One staff member: schedule, presence record, whether present, and on what basis."""
    seen = p.get("presence") or {}
    present = {True: "yes", False: '<span class="bad">no</span>', None: "—"}[p.get("present")]
    cited = _cite(log, [seen["entry"]]) if seen else "—"
    return (
        f"<tr><td>{escape(str(p['name'] or ''))} ({escape(str(p['nip']))})</td>"
        f"<td>{escape(str(p['scheduled']).replace('_', ' '))}</td>"
        f"<td>{escape(str(seen.get('in') or '—'))}</td>"
        f"<td>{escape(str(seen.get('out') or '—'))}</td>"
        f"<td>{present}</td><td>{escape(str(p['basis']))}</td><td>{cited}</td></tr>"
    )


def render_report(report: Mapping[str, Any]) -> str:
    """The report as a standalone HTML document (no scripts, prints on A4)."""
    unit, log = report["unit"], str(report["log"])
    rows = []
    for a in report["flexible"]:
        ok = "yes" if a["approved_by_supervisor"] else '<span class="bad">no</span>'
        rows.append(
            f"<tr><td>{escape(str(a['employee']))}<br>{escape(str(a['name'] or ''))}</td>"
            f"<td>{escape(str(a['kind']))}</td><td>{escape(str(a['approver']))}</td>"
            f"<td>{ok}</td><td>{escape(str(a['policy_version']))}</td>"
            f"<td>{len(a['outputs'])}</td><td>{_cite(log, a['entries'])}</td></tr>"
        )
    on_site = ", ".join(escape(f"{p['name']} ({p['nip']})") for p in report["on_site"])
    staff = "".join(_person_row(log, p) for p in report.get("staff", ()))
    statements = "".join(
        f"<li>{escape(str(s['statement']))} <small>[{_cite(log, s['entries'])}]</small></li>"
        for s in report["statements"]
    )
    bundle = escape(str(report["bundle"]))
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        f"<title>Investigation report {escape(str(report['complaint']))}</title>"
        f"<style>{_STYLE}</style><body>"
        f"<h1>Investigation report — {escape(str(report['complaint']))}</h1>"
        f"<p>{escape(str(unit['name']))} (<code>{escape(str(unit['id']))}</code>), lapse at "
        f"{escape(str(report['lapse_at']))}; form {escape(str(report['form']))}; service "
        f"{escape(str(report['service']))}; status {escape(str(report['status']))}.</p>"
        f"<h2>Findings from the ledger</h2><p>Every entry cited is an entry of the log "
        f"<code>{escape(log)}</code>.</p><ol>{statements}</ol>"
        f"<h2>Scheduled on site</h2><p>{on_site or '—'}</p>"
        f"<h2>Presence at {escape(str(report.get('present_at_lapse', {}).get('at', '')))}</h2>"
        "<table><tr><th>employee</th><th>schedule</th><th>in</th><th>out</th>"
        f"<th>present</th><th>basis</th><th>entry</th></tr>{staff}</table>"
        "<h2>Flexible work that day</h2><table><tr><th>employee</th><th>kind</th>"
        "<th>approver</th><th>by supervisor</th><th>policy</th><th>outputs</th>"
        f"<th>entries</th></tr>{''.join(rows)}</table>"
        f'<h2>Verify offline</h2><p>Every cited entry is in the bundle <a href="{bundle}">'
        f"{bundle}</a>; check it with <code>jejak verify BUNDLE --log-key KEY</code>.</p>"
        "</body></html>"
    )
