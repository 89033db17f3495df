"""Markdown tables from one recorded run: ``python -m benchmarks.tables benchmarks/results/2026-11-29.json``.

The README's and benchmarks/README.md's tables are pasted from this output, so every
figure in them comes from the one JSON file that is committed beside them. Each cell
is the figure, then the median ratio and its min-max over the interleaved rounds.
"""

import json
import sys

from .report import figure

EN_DASH = "\u2013"  # Markdown ranges: 0.88\u20130.93
ENGINE_ORDER = (
    "hand-written",
    "autograd_core.nn",
    "autograd_core.nn.compile",
    "autograd_core",
    "autograd_core.compile",
    "torch",
    "jax.grad",
    "jax.jit",
    "HIPS autograd",
    "micrograd",
)


def ratio_cell(row, digits=2):
    """'0.91× (0.88-0.93)' (with an en dash), or the status when the row has no ratio."""
    if row.get("status") != "ok":
        return row.get("status", "?")
    if row.get("ratio") is None:
        return ""
    spread = row.get("ratio_spread")
    text = f"{row['ratio']:.{digits}f}×"
    return text + (f" ({spread[0]:.{digits}f}{EN_DASH}{spread[1]:.{digits}f})" if spread else "")


def _cell(row, value):
    if row.get("status") != "ok":
        return "missing" if row.get("status") == "missing" else f"{row.get('status')}"
    return f"{value} {ratio_cell(row)}".strip()


def grid(rows, workload, value):
    """A case-by-engine table for one workload; ``value(row)`` is the figure shown before the ratio."""
    block = [r for r in rows if r["workload"] == workload]
    engines = [e for e in ENGINE_ORDER if any(r["engine"] == e for r in block)]
    engines += sorted({r["engine"] for r in block} - set(engines))
    cases = list(dict.fromkeys(r["case"] for r in block))
    lines = ["| case | " + " | ".join(engines) + " |", "| --- |" + " --- |" * len(engines)]
    for case in cases:
        cells = []
        for engine in engines:
            row = next((r for r in block if r["case"] == case and r["engine"] == engine), None)
            cells.append("" if row is None else _cell(row, value(row) if row.get("status") == "ok" else ""))
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return lines


def markdown(document):
    """Every workload's table and the targets, as Markdown lines."""
    rows, lines = document["rows"], []
    env, settings = document["environment"], document["settings"]
    lines += [
        f"Run: `{document['command']}` on {document['date']}, {document['duration_s']:.0f} s; clock "
        f"{settings.get('clock', 'wall')}, {settings['rounds']} interleaved rounds; load average "
        f"{env.get('load_average')} at the start, {env.get('load_average_at_end')} at the end.",
        f"Machine: {env['cpu']}, {env['cores']} cores; Python {env['python']}; numpy {env['numpy']['version']} "
        f"({env['numpy']['blas']}, kernel {env['numpy'].get('kernel')}); torch "
        f"{(env.get('torch') or {}).get('version')}; jax {env.get('jax')}; autograd_core at "
        f"{env['engine_revision']}.",
        "",
    ]
    titles = {
        "a": ("(a) MLP training step: steps/s, speed vs hand-written", lambda r: f"{r['value']:,.0f}"),
        "b": ("(b) per-op overhead: µs/op, speed vs hand-written", lambda r: f"{r['value']:.2f} µs"),
        "c": ("(c) scalar graphs: k nodes/s, speed vs micrograd", lambda r: f"{r['value'] / 1e3:,.0f}k"),
        "d": (
            "(d) depth: µs and bytes per node, speed vs torch",
            lambda r: f"{r['value']:.2f} µs, {r['bytes_per_node']:,.0f} B",
        ),
        "g": ("(g) width: µs per input of the backward, speed vs torch", lambda r: f"{r['value']:.2f} µs"),
    }
    for workload, (title, value) in titles.items():
        if any(r["workload"] == workload for r in rows):
            lines += [f"**{title}**", ""] + grid(rows, workload, value) + [""]
    for workload in ("e", "f", "h"):
        block = [r for r in rows if r["workload"] == workload]
        for r in block:
            extra = ""
            if workload == "e" and r.get("memory_ratio") is not None:
                extra = (
                    f" = {r['memory_ratio']:.2f}× hand-written's peak"
                    + (f" (steady {r['steady_ratio']:.2f}×)" if r.get("steady_ratio") is not None else "")
                    + (f" [{r['memory_method']}]" if r["engine"] in ("torch", "jax.jit") else "")
                )
            elif r.get("ratio") is not None:
                extra = f" = {ratio_cell(r)} {r['ratio_to']}"
            lines.append(
                f"- ({workload}) {r['case']}, {r['engine']}: {figure(r)}{extra}"
                + (f" ({r.get('detail')})" if r.get("status") != "ok" else "")
            )
        if block:
            lines.append("")
    lines += ["| target | measured | verdict |", "| --- | --- | --- |"]
    lines += [f"| {v['target']} | {v['measured']} | {v['verdict']} |" for v in document["targets"]]
    return lines


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m benchmarks.tables RESULTS.json", file=sys.stderr)
        return 2
    try:
        with open(argv[0]) as f:
            document = json.load(f)
        text = "\n".join(markdown(document))
    except (OSError, ValueError, KeyError) as error:
        print(f"benchmarks.tables: cannot read {argv[0]}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
